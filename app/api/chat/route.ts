/**
 * POST /api/chat: one message (or a retry) for one of the caller's conversations, or one turn of
 * a temporary chat, answered as a stream of NDJSON events (lib/chat/events.ts). The turn's own
 * logic lives in lib/chat.
 */
import { after } from 'next/server';
import { getCurrentUser, sessionMergedIntoAccount } from '@/lib/auth/current-user';
import { afterTurn } from '@/lib/chat/after-turn';
import { encodeEvent, type TurnEvent } from '@/lib/chat/events';
import { chatRequestSchema } from '@/lib/chat/request';
import { startTurn, streamReply, temporaryReply, type TurnUser } from '@/lib/chat/turn';
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

  // The model stops when the client goes away (request.signal) or stops reading (cancel).
  const stop = new AbortController();
  const signal = AbortSignal.any([request.signal, stop.signal]);
  const { chat } = await getServices();
  const input = parsed.data;

  let events: AsyncGenerator<TurnEvent>;
  if ('temporary' in input) {
    events = temporaryReply(chat, [...input.history, { role: 'user', content: input.message }], signal);
  } else {
    const started = await startTurn(chat, user, input);
    if (!started.ok) {
      return started.error === 'not_found' ? fail(404, 'No such conversation.') : fail(409, 'There is no failed answer to retry.');
    }
    events = streamReply(chat, started.turn, signal);
    // Extraction, summary and title run after the response, never before the first token.
    const reply = replyOf(events);
    events = reply.events;
    after(() => runAsUser(user.id, async () => afterTurn(chat.services, started.turn, await reply.stored)));
  }

  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      // Runs to the end even when nobody reads: the answer is stored either way.
      for await (const event of events) {
        try {
          controller.enqueue(encoder.encode(encodeEvent(event)));
        } catch {
          // The reader is gone; keep going so the answer is stored.
        }
      }
      try {
        controller.close();
      } catch {
        // Already closed by a cancelled reader.
      }
    },
    cancel() {
      stop.abort();
    },
  });

  return new Response(stream, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}

/** Passes the events through, and resolves `stored` with the reply's text once they have all gone by. */
function replyOf(source: AsyncGenerator<TurnEvent>) {
  let resolve!: (reply: string) => void;
  const stored = new Promise<string>((r) => (resolve = r));
  async function* events() {
    let reply = '';
    try {
      for await (const event of source) {
        if (event.type === 'text') reply += event.text;
        yield event;
      }
    } finally {
      resolve(reply);
    }
  }
  return { events: events(), stored };
}
