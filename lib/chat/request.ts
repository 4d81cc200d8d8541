import { z } from 'zod';

/** The body of POST /api/chat: a new message, or a retry of the conversation's failed answer. */
export function chatRequestSchema(maxMessageChars: number) {
  return z.union([
    z.object({
      conversationId: z.uuid().optional(),
      message: z
        .string()
        .trim()
        .min(1, 'The message is empty.')
        .max(maxMessageChars, `The message is longer than ${maxMessageChars.toLocaleString('en')} characters.`),
      /** A temporary chat neither reads nor writes memory. */
      temporary: z.boolean().optional(),
    }),
    z.object({ conversationId: z.uuid(), retry: z.literal(true) }),
  ]);
}

export type ChatRequestBody = z.infer<ReturnType<typeof chatRequestSchema>>;
