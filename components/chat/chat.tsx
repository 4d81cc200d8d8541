'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ensureGuestSession } from '@/app/(chat)/actions';
import { decodeEvents, type TurnEvent, type UsedMemory } from '@/lib/chat/events';
import { Composer } from './composer';
import { Message, RetryButton, type ChatTurnView } from './message';

interface ChatProps {
  conversationId: string | null;
  initialTurns: ChatTurnView[];
  maxChars: number;
  /** Kept by the browser alone: nothing is stored, memory is neither used nor updated. */
  temporary?: boolean;
}

type RequestBody =
  | { conversationId?: string; message: string }
  | { conversationId: string; retry: true }
  | { temporary: true; message: string; history: { role: 'user' | 'assistant'; content: string }[] };

const MEMORY_POLL_MS = 700;
const MEMORY_POLL_TRIES = 20;

let keys = 0;
const newTurn = (role: ChatTurnView['role'], content: string): ChatTurnView => ({
  key: `local-${++keys}`,
  role,
  content,
  status: role === 'user' ? 'complete' : 'streaming',
  memories: [],
  learned: [],
  changes: [],
});

const LIVE_ANSWER_POLL_MS = 1500;

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A temporary chat's turns so far, as the server needs them (failed answers left out). */
const historyOf = (turns: ChatTurnView[]) =>
  turns.filter((t) => t.status !== 'failed' && t.content).map((t) => ({ role: t.role, content: t.content }));

export function Chat({ conversationId: initialId, initialTurns, maxChars, temporary = false }: ChatProps) {
  const router = useRouter();
  const [turns, setTurns] = useState(initialTurns);
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const conversationId = useRef(initialId);
  const abort = useRef<AbortController | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  // "New chat" leads to "/", which may be the very page this chat started on (its URL was only
  // replaced): then no new page mounts, so start afresh here.
  const pathname = usePathname();
  useEffect(() => {
    if (pathname !== '/' || initialId || !conversationId.current) return;
    abort.current?.abort();
    conversationId.current = null;
    setTurns([]);
    setInput('');
    setError(null);
  }, [pathname, initialId]);

  useEffect(() => {
    // Braces matter: newer browsers return a promise from scrollIntoView, which is no clean-up.
    void bottom.current?.scrollIntoView({ block: 'end' });
  }, [turns]);

  const update = (key: string, change: (turn: ChatTurnView) => Partial<ChatTurnView>) =>
    setTurns((all) => all.map((t) => (t.key === key ? { ...t, ...change(t) } : t)));

  const pollMemory = useCallback(
    async (userTurnId: number, answerKey: string) => {
      for (let i = 0; i < MEMORY_POLL_TRIES; i++) {
        await new Promise((resolve) => setTimeout(resolve, MEMORY_POLL_MS));
        const response = await fetch(`/api/chat/turns/${userTurnId}/memory`, { cache: 'no-store' });
        if (!response.ok) return;
        const status = (await response.json()) as { state: string; learned: UsedMemory[] };
        if (status.state === 'pending') continue;
        if (status.learned.length) update(answerKey, () => ({ learned: status.learned }));
        break;
      }
      // The title is written beside the facts: show it in the sidebar.
      router.refresh();
    },
    [router],
  );

  // An answer still being written when the page loaded (in another tab, or by a server that then
  // died) is followed until it ends or counts as cut off.
  const live = streaming ? undefined : turns.find((t) => t.role === 'assistant' && t.status === 'streaming' && t.id !== undefined);
  useEffect(() => {
    if (!live) return;
    const timer = setTimeout(async () => {
      const response = await fetch(`/api/chat/turns/${live.id}`, { cache: 'no-store' }).catch(() => null);
      if (!response?.ok) return;
      const { status, content } = (await response.json()) as Pick<ChatTurnView, 'status' | 'content'>;
      update(live.key, () => ({ status, content }));
    }, LIVE_ANSWER_POLL_MS);
    return () => clearTimeout(timer);
  }, [live]);

  function follow(id: string) {
    if (conversationId.current === id) return;
    conversationId.current = id;
    // The URL follows the new conversation without remounting the page mid-stream.
    window.history.replaceState(null, '', `/chat/${id}`);
  }

  /**
   * `onStored`: the server confirmed the message is stored; `onRefused`: it was not (a send
   * keeps the text in the composer until the first, and leaves it there on the second).
   */
  async function stream(body: RequestBody, answerKey: string, onStored?: () => void, onRefused?: () => void) {
    const controller = new AbortController();
    abort.current = controller;
    setStreaming(true);
    let userTurnId: number | null = null;
    try {
      const post = () =>
        fetch('/api/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
      let response = await post();
      if (response.status === 401) {
        // No session yet (a visitor's first message; page views create no user) or no longer
        // (signed out in another tab): nothing was stored, so become a guest and send again.
        const guest = await ensureGuestSession();
        if (guest.error) {
          if (onRefused) {
            onRefused();
            setError(guest.error);
          } else update(answerKey, () => ({ status: 'failed', error: guest.error }));
          return;
        }
        response = await post();
      }
      if (!response.ok || !response.body) {
        // Every refusal is JSON with a message a person can act on.
        const refusal = (await response.json().catch(() => ({}))) as { error?: string; conversationId?: string };
        const message = refusal.error ?? `The server answered ${response.status}.`;
        if (refusal.conversationId) {
          // The message was stored and its answer failed: Retry answers it.
          follow(refusal.conversationId);
          update(answerKey, () => ({ status: 'failed', error: message }));
        } else if (onRefused) {
          onRefused();
          setError(message);
        } else update(answerKey, () => ({ status: 'failed', error: message }));
        return;
      }
      for await (const event of decodeEvents(response.body)) {
        if (event.type === 'start') onStored?.();
        userTurnId = apply(event, answerKey) ?? userTurnId;
      }
      if (userTurnId !== null) void pollMemory(userTurnId, answerKey);
    } catch {
      if (controller.signal.aborted) update(answerKey, () => ({ status: 'interrupted' }));
      else if (userTurnId === null && onRefused) {
        // Whether the server stored the message is unknown: the text stays to send again.
        onRefused();
        setError('The connection to Engram failed before your message was confirmed. Send it again.');
      } else update(answerKey, () => ({ status: 'failed', error: 'The connection to Engram was lost. Press Retry, or reload to see what was saved.' }));
    } finally {
      abort.current = null;
      setStreaming(false);
    }
  }

  /** Applies one streamed event to the answer; returns the user turn's id when it learns it. */
  function apply(event: TurnEvent, answerKey: string): number | null {
    switch (event.type) {
      case 'start':
        if (event.conversationId) follow(event.conversationId);
        update(answerKey, () => ({ memories: event.memories }));
        if (event.userTurnId !== null) {
          const id = event.userTurnId;
          // The question just before this answer is the stored turn the server names.
          setTurns((all) => all.map((t, i) => (t.role === 'user' && all[i + 1]?.key === answerKey ? { ...t, id } : t)));
        }
        return event.userTurnId;
      case 'text':
        update(answerKey, (t) => ({ content: t.content + event.text, notice: undefined }));
        return null;
      case 'retrying':
        update(answerKey, () => ({ notice: `${capitalize(event.reason)}: trying again in ${event.inSeconds} s…` }));
        return null;
      case 'memory':
        update(answerKey, (t) => ({ changes: [...t.changes, { action: event.action, facts: event.facts }] }));
        return null;
      case 'done':
        update(answerKey, () => ({ status: event.status }));
        return null;
      case 'error':
        update(answerKey, () => ({ status: 'failed', error: event.message }));
        return null;
    }
  }

  async function send() {
    const message = input.trim();
    if (!message) return;
    if (message.length > maxChars) {
      setError(`Your message is ${message.length.toLocaleString('en')} characters long; the limit is ${maxChars.toLocaleString('en')}.`);
      return;
    }
    setError(null);
    const question = newTurn('user', message);
    const answer = newTurn('assistant', '');
    setTurns((all) => [...all, question, answer]);
    const body: RequestBody = temporary
      ? { temporary: true, message, history: historyOf(turns) }
      : { conversationId: conversationId.current ?? undefined, message };
    await stream(
      body,
      answer.key,
      // Stored: the composer empties, unless the person already typed something else.
      () => setInput((current) => (current.trim() === message ? '' : current)),
      // Not stored: the text is still in the composer; the bubbles go.
      () => setTurns((all) => all.filter((t) => t.key !== question.key && t.key !== answer.key)),
    );
  }

  /** Answers the last question again: its answer failed, was cut off, or is missing (`failedKey` null). */
  async function retry(failedKey: string | null) {
    const earlier = turns.filter((t) => t.key !== failedKey);
    const question = earlier.at(-1);
    let body: RequestBody;
    if (temporary && question) body = { temporary: true, message: question.content, history: historyOf(earlier.slice(0, -1)) };
    else if (conversationId.current) body = { conversationId: conversationId.current, retry: true };
    else return;
    const answer = newTurn('assistant', '');
    setTurns([...earlier, answer]);
    await stream(body, answer.key);
  }

  /** "Don't remember this": what Engram learned from the message is forgotten. */
  async function forget(turn: ChatTurnView) {
    const response = await fetch(`/api/chat/turns/${turn.id}/memory`, { method: 'DELETE' });
    if (response.ok) update(turn.key, () => ({ forgotten: true }));
    else setError(((await response.json().catch(() => ({}))) as { error?: string }).error ?? 'That message could not be forgotten.');
  }

  const last = turns.at(-1);
  const canRetry = !streaming && (last?.status === 'failed' || last?.status === 'interrupted');
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex-1 overflow-y-auto px-4" data-testid="conversation">
        <div className="mx-auto flex max-w-3xl flex-col gap-5 py-6">
          {temporary && (
            <p role="status" data-testid="temporary-notice" className="rounded-lg bg-neutral-100 px-3 py-2 text-center text-sm dark:bg-neutral-800">
              Temporary chat: not saved, and memory is neither used nor updated.
            </p>
          )}
          {turns.length === 0 && (
            <p className="py-16 text-center text-neutral-500" data-testid="empty-chat">
              Ask anything. Engram remembers what matters about you across conversations.
              {!temporary && (
                <>
                  {' '}
                  Or start a{' '}
                  <Link href="/?temporary=1" className="underline underline-offset-2" data-testid="start-temporary">
                    temporary chat
                  </Link>
                  .
                </>
              )}
            </p>
          )}
          {turns.map((turn) => (
            <Message
              key={turn.key}
              turn={turn}
              onRetry={turn === last && canRetry ? () => void retry(turn.key) : undefined}
              onForget={turn.role === 'user' && turn.id !== undefined && !temporary ? () => void forget(turn) : undefined}
            />
          ))}
          {last?.role === 'user' && !streaming && <MissingAnswer onRetry={() => void retry(null)} />}
          <div ref={bottom} />
        </div>
      </div>
      <div className="mx-auto w-full max-w-3xl px-4 pb-4">
        <Composer
          value={input}
          onChange={(value) => {
            setInput(value);
            if (error) setError(null);
          }}
          onSend={() => void send()}
          onStop={() => abort.current?.abort()}
          streaming={streaming}
          maxChars={maxChars}
          error={error}
        />
      </div>
    </div>
  );
}

/** The last message has no stored answer (the server stopped before writing one). */
function MissingAnswer({ onRetry }: { onRetry: () => void }) {
  return (
    <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="missing-answer">
      <p className="text-neutral-600 dark:text-neutral-400">No answer was saved for this message.</p>
      <RetryButton onRetry={onRetry} />
    </div>
  );
}
