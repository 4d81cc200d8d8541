/**
 * POST /api/chat: one message (or a retry) for one of the caller's conversations, answered as a
 * stream of NDJSON events (lib/chat/events.ts). The turn's own logic lives in lib/chat.
 */
import { after } from 'next/server';
import { getCurrentUser, sessionMergedIntoAccount } from '@/lib/auth/current-user';
import { afterTurn } from '@/lib/chat/after-turn';
import { encodeEvent } from '@/lib/chat/events';
import { chatRequestSchema } from '@/lib/chat/request';
import { startTurn, streamReply, type TurnUser } from '@/lib/chat/turn';
import { runAsUser } from '@/lib/db/user-context';
import { env } from '@/lib/env';
import { getServices } from '@/lib/services';

const fail = (status: number, error: string) => Response.json({ error }, { status });

export async function POST(request: Request) {
  const user = await getCurrentUser();
  if (!user) {
    return (await sessionMergedIntoAccount())
      ? fail(401, 'This guest session now belongs to an account: sign in to continue.')
      : fail(401, 'No session: reload the page to continue.');
  }

  // Row-level security on a PostgreSQL server: every query of this request is the user's.
  return runAsUser(user.id, () => answer(request, user));
}

async function answer(request: Request, user: TurnUser) {
  const body: unknown = await request.json().catch(() => undefined);
  const parsed = chatRequestSchema(env().CHAT_MAX_MESSAGE_CHARS).safeParse(body);
  if (!parsed.success) return fail(400, parsed.error.issues[0]?.message ?? 'Invalid request.');

  const { chat } = await getServices();
  const started = await startTurn(chat, user, parsed.data);
  if (!started.ok) {
    return started.error === 'not_found' ? fail(404, 'No such conversation.') : fail(409, 'There is no failed answer to retry.');
  }

  // The model stops when the client goes away (request.signal) or stops reading (cancel).
  const stop = new AbortController();
  const signal = AbortSignal.any([request.signal, stop.signal]);
  let finished!: (reply: string) => void;
  const replyStored = new Promise<string>((resolve) => (finished = resolve));
  const encoder = new TextEncoder();

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let reply = '';
      try {
        // Runs to the end even when nobody reads: the answer is stored either way.
        for await (const event of streamReply(chat, started.turn, signal)) {
          if (event.type === 'text') reply += event.text;
          try {
            controller.enqueue(encoder.encode(encodeEvent(event)));
          } catch {
            // The reader is gone; keep going so the answer is stored.
          }
        }
      } finally {
        finished(reply);
        try {
          controller.close();
        } catch {
          // Already closed by a cancelled reader.
        }
      }
    },
    cancel() {
      stop.abort();
    },
  });

  // Extraction, summary and title run after the response, never before the first token.
  after(() => runAsUser(user.id, async () => afterTurn(chat.services, started.turn, await replyStored)));

  return new Response(stream, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}
