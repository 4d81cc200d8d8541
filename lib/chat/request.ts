import { z } from 'zod';

/**
 * A temporary chat's turns so far, which the browser sends with every message and the model
 * reads each time: bounded, so one request cannot carry an unbounded (and, with a paid model,
 * costly) prompt.
 */
export const TEMPORARY_HISTORY_MAX_TURNS = 40;
export const TEMPORARY_HISTORY_MAX_CHARS = 32_000;

const HISTORY_TOO_LONG =
  `This temporary chat is too long to go on: it can carry ${TEMPORARY_HISTORY_MAX_TURNS} messages and ` +
  `${TEMPORARY_HISTORY_MAX_CHARS.toLocaleString('en')} characters, since your browser sends them all with each message. ` +
  'Start a new temporary chat, or a normal chat, which keeps its history on the server.';

const withinHistoryCaps = (history: { content: string }[]) =>
  history.length <= TEMPORARY_HISTORY_MAX_TURNS && history.reduce((chars, turn) => chars + turn.content.length, 0) <= TEMPORARY_HISTORY_MAX_CHARS;

/**
 * The largest body POST /api/chat takes, in bytes: the longest message and temporary history at
 * 3 bytes a character (the most UTF-8 takes for one JavaScript character, and more than JSON's
 * escapes of quotes and new lines), plus room for the JSON around them. At the defaults, 133 KB.
 */
export function chatBodyLimitBytes(maxMessageChars: number): number {
  return 3 * (maxMessageChars + TEMPORARY_HISTORY_MAX_CHARS) + 16 * 1024;
}

const schemas = new Map<number, ReturnType<typeof buildChatRequestSchema>>();

/**
 * The body of POST /api/chat: a new message, or a retry of the conversation's failed answer. Made
 * once per cap: building it took about 1 ms, more than 50 parses of a message.
 */
export function chatRequestSchema(maxMessageChars: number) {
  let schema = schemas.get(maxMessageChars);
  if (!schema) schemas.set(maxMessageChars, (schema = buildChatRequestSchema(maxMessageChars)));
  return schema;
}

function buildChatRequestSchema(maxMessageChars: number) {
  const message = z
    .string()
    .trim()
    .min(1, 'The message is empty.')
    .max(maxMessageChars, `The message is longer than ${maxMessageChars.toLocaleString('en')} characters.`)
    // PostgreSQL text cannot hold a NUL byte; refused (not silently changed) before anything is stored.
    .refine((text) => !text.includes('\0'), 'The message contains a NUL character (\\0), which cannot be stored. Remove it and send again.');
  // Strict shapes: a malformed temporary turn must be refused, not taken for a plain message.
  return z.union([
    // A temporary chat is kept by the browser alone: it sends the turns so far.
    z.strictObject({
      temporary: z.literal(true),
      message,
      history: z.array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string() })),
    }),
    z.strictObject({ conversationId: z.uuid(), retry: z.literal(true) }),
    z.strictObject({ conversationId: z.uuid().optional(), message }),
  ]).refine(
    // Checked once the union has chosen the temporary shape: inside it, a failing cap would make
    // the union report another shape's complaint ("Unrecognized keys") instead of this message.
    (input) => !('temporary' in input) || withinHistoryCaps(input.history),
    { message: HISTORY_TOO_LONG, path: ['history'] },
  );
}

export type StoredChatRequest = Exclude<ChatRequestBody, { temporary: true }>;

export type ChatRequestBody = z.infer<ReturnType<typeof chatRequestSchema>>;
