import { z } from 'zod';

/** The body of POST /api/chat: a new message, or a retry of the conversation's failed answer. */
export function chatRequestSchema(maxMessageChars: number) {
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
      history: z.array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string().max(100_000) })).max(100),
    }),
    z.strictObject({ conversationId: z.uuid(), retry: z.literal(true) }),
    z.strictObject({ conversationId: z.uuid().optional(), message }),
  ]);
}

export type StoredChatRequest = Exclude<ChatRequestBody, { temporary: true }>;

export type ChatRequestBody = z.infer<ReturnType<typeof chatRequestSchema>>;
