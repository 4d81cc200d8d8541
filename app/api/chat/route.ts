/**
 * POST /api/chat: one message (or a retry) for one of the caller's conversations, or one turn of
 * a temporary chat, answered as a stream of NDJSON events (lib/chat/events.ts). The turn's own
 * logic lives in lib/chat.
 */
import { after } from 'next/server';
import { getSessionUser, sessionMergedIntoAccount } from '@/lib/auth/session';
import { afterTurn } from '@/lib/chat/after-turn';
import { encodeEvent, type TurnEvent } from '@/lib/chat/events';
import { chatBodyLimitBytes, chatRequestSchema } from '@/lib/chat/request';
import { AnswerNotStarted, startTurn, streamReply, temporaryReply, type StartFailure, type TurnUser } from '@/lib/chat/turn';
import { env } from '@/lib/env';
import { crossSiteRefusal, readJsonBody } from '@/lib/http/guard';
import { getRateLimits, limitChatTurn, tooManyRequests } from '@/lib/rate-limit';
import { getServices, type AppServices } from '@/lib/services';
import { messageOf } from '@/lib/errors';

/**
 * An error answer. `conversationId` is set when the message was stored, so the page can offer
 * Retry; without it nothing was stored, and the page gives the text back to send again.
 */
const fail = (status: number, error: string, conversationId?: string) => Response.json({ error, conversationId }, { status });

export async function POST(request: Request) {
  // Before the cookie is read or the body buffered: another site's page, a non-JSON or an oversized body is refused.
  const settings = env();
  const refused = crossSiteRefusal(request, settings.APP_ORIGIN);
  if (refused) return refused;
  const body = await readJsonBody(request, chatBodyLimitBytes(settings.CHAT_MAX_MESSAGE_CHARS));
  if (!body.ok) return body.response;
  let endForeground = () => {};
  try {
    const services = await getServices();
    // Until its prompt is ready, this turn goes before the work that follows other answers.
    endForeground = services.background.foreground();
    const user = await getSessionUser();
    if (!user) {
      return (await sessionMergedIntoAccount())
        ? fail(401, 'This guest session now belongs to an account: sign in to continue.')
        : fail(401, 'No session: reload the page to continue.');
    }
    return await answer(request, user, body.value, services, endForeground);
  } catch (error) {
    // Never an empty 500: say what happened to the message.
    console.error(`[chat] the turn failed before its answer began: ${messageOf(error)}`);
    return error instanceof AnswerNotStarted
      ? fail(503, 'Your message was saved, but the answer could not start. Press Retry in a moment.', error.conversationId)
      : fail(503, 'Your message could not be saved just now; nothing was stored. Send it again in a moment.');
  } finally {
    endForeground();
  }
}

async function answer(
  request: Request,
  user: TurnUser & { isAnonymous: boolean },
  body: unknown,
  { chat, background }: AppServices,
  endForeground: () => void,
) {
  const parsed = chatRequestSchema(env().CHAT_MAX_MESSAGE_CHARS).safeParse(body);
  if (!parsed.success) return fail(400, parsed.error.issues[0]?.message ?? 'Invalid request.');
  // Counted before anything is stored or sent to a model; outside any unit of work (on PGlite a
  // check inside one would wait for itself).
  const limited = await limitChatTurn(await getRateLimits(), user);
  if (!limited.ok) return tooManyRequests(limited);

  // The model stops when the client goes away (request.signal) or stops reading (cancel).
  const stop = new AbortController();
  const signal = AbortSignal.any([request.signal, stop.signal]);
  const input = parsed.data;

  let events: AsyncGenerator<TurnEvent>;
  if ('temporary' in input) {
    events = temporaryReply(chat, [...input.history, { role: 'user', content: input.message }], signal);
  } else {
    const started = await startTurn(chat, user, input);
    endForeground();
    if (!started.ok) return refuse(started);
    events = streamReply(chat, started.turn, signal);
    // Extraction, summary and title run after the response, never before the first token.
    const reply = replyOf(events);
    events = reply.events;
    after(async () => {
      const text = await reply.stored;
      await background.run(() => afterTurn(chat, started.turn, text));
    });
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

/** Why a message was not stored, as the page shows it; the text stays in the composer. */
function refuse(failure: StartFailure) {
  switch (failure.error) {
    case 'not_found':
      return fail(404, 'No such conversation.');
    case 'nothing_to_retry':
      return fail(409, 'There is no unanswered message to retry here. Reload the page to see the latest answer.');
    case 'busy':
      return Response.json(
        {
          error: `Engram is still answering your previous message in this conversation. Wait for that answer, or try again in ${failure.retryAfterSeconds} s if it was cut off.`,
          retryAfterSeconds: failure.retryAfterSeconds,
        },
        { status: 409, headers: { 'retry-after': String(failure.retryAfterSeconds) } },
      );
  }
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
