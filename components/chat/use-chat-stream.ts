'use client';

import { usePathname, useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ensureGuestSession } from '@/app/(chat)/actions';
import { decodeEvents, type TurnEvent, type UsedMemory } from '@/lib/chat/events';
import { announce } from './announcer';
import { useConversations } from './conversations';
import type { ChatTurnView } from './message';

/**
 * The chat's transport: sends a message or a retry to /api/chat (becoming a guest and sending
 * again on a 401), decodes the streamed events into the turns, polls for what a turn taught
 * Engram, and follows an answer still being written when the page loaded. The view only renders.
 */

type RequestBody =
  | { conversationId?: string; message: string }
  | { conversationId: string; retry: true }
  | { temporary: true; message: string; history: { role: 'user' | 'assistant'; content: string }[] };

const MEMORY_POLL_MS = 700;
const MEMORY_POLL_TRIES = 20;
const LIVE_ANSWER_POLL_MS = 1500;

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

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A temporary chat's turns so far, as the server needs them (failed answers left out). */
const historyOf = (turns: ChatTurnView[]) =>
  turns.filter((t) => t.status !== 'failed' && t.content).map((t) => ({ role: t.role, content: t.content }));

interface ChatStreamOptions {
  conversationId: string | null;
  initialTurns: ChatTurnView[];
  temporary: boolean;
  /** "New chat" led back to the page this chat started on: the view clears what it holds too (a stable callback). */
  onReset: () => void;
}

/** What became of a message's text (a retry has none: its failure goes to its answer). */
interface StreamCallbacks {
  /** The server confirmed the message is stored (the composer may empty). */
  onStored: () => void;
  /** It was not stored: the text stays in the composer to send again. */
  onRefused: () => void;
}

export function useChatStream({ conversationId: initialId, initialTurns, temporary, onReset }: ChatStreamOptions) {
  const router = useRouter();
  const { refresh: refreshConversations } = useConversations();
  const [turns, setTurns] = useState(initialTurns);
  const [error, setError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  // A ref for the requests (read inside a stream), state for what the view shows.
  const conversationRef = useRef(initialId);
  const [conversationId, setConversationId] = useState(initialId);
  const abort = useRef<AbortController | null>(null);

  // "New chat" leads to "/", which may be the very page this chat started on (its URL was only
  // replaced): then no new page mounts, so start afresh here.
  const pathname = usePathname();
  useEffect(() => {
    if (pathname !== '/' || initialId || !conversationRef.current) return;
    abort.current?.abort();
    conversationRef.current = null;
    setConversationId(null);
    setTurns([]);
    setError(null);
    onReset();
  }, [pathname, initialId, onReset]);

  const update = (key: string, change: (turn: ChatTurnView) => Partial<ChatTurnView>) =>
    setTurns((all) => all.map((t) => (t.key === key ? { ...t, ...change(t) } : t)));

  const pollMemory = useCallback(
    async (userTurnId: number, answerKey: string) => {
      for (let i = 0; i < MEMORY_POLL_TRIES; i++) {
        await new Promise((resolve) => setTimeout(resolve, MEMORY_POLL_MS));
        const response = await fetch(`/api/chat/turns/${userTurnId}/memory`, { cache: 'no-store' });
        if (!response.ok) return;
        const status = (await response.json()) as { state: string; learned: UsedMemory[]; replaced?: UsedMemory[] };
        if (status.state === 'pending') continue;
        if (status.learned.length) {
          update(answerKey, () => ({ learned: status.learned, replaced: status.replaced ?? [] }));
          announce(`Memory updated: ${status.learned.map((f) => f.factText).join('; ')}`);
        }
        break;
      }
      // The title is written beside the facts: show it in the sidebar.
      await refreshConversations();
    },
    [refreshConversations],
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
    if (conversationRef.current === id) return;
    conversationRef.current = id;
    setConversationId(id);
    // The URL follows the new conversation without remounting the page mid-stream.
    window.history.replaceState(null, '', `/chat/${id}`);
  }

  async function stream(body: RequestBody, answerKey: string, callbacks?: StreamCallbacks) {
    const controller = new AbortController();
    abort.current = controller;
    setStreaming(true);
    let userTurnId: number | null = null;
    /** A send's refusal goes to the composer (the text is still there); a retry's to its answer. */
    const refuse = (message: string) => {
      if (callbacks) {
        callbacks.onRefused();
        setError(message);
      } else update(answerKey, () => ({ status: 'failed', error: message }));
    };
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
        if (guest.error) return refuse(guest.error);
        // The sidebar says who you are. Refreshed now, while this is still the page the chat
        // started on; once the chat has its own URL a refresh would remount it mid-stream.
        router.refresh();
        response = await post();
      }
      if (!response.ok || !response.body) {
        // Every refusal is JSON with a message a person can act on (409 busy, 429 too many).
        const refusal = (await response.json().catch(() => ({}))) as { error?: string; conversationId?: string };
        const message = refusal.error ?? `The server answered ${response.status}.`;
        if (refusal.conversationId) {
          // The message was stored and its answer failed: Retry answers it.
          follow(refusal.conversationId);
          update(answerKey, () => ({ status: 'failed', error: message }));
        } else refuse(message);
        return;
      }
      for await (const event of decodeEvents(response.body)) {
        if (event.type === 'start') callbacks?.onStored();
        userTurnId = apply(event, answerKey) ?? userTurnId;
      }
      if (userTurnId !== null) void pollMemory(userTurnId, answerKey);
    } catch {
      if (controller.signal.aborted) update(answerKey, () => ({ status: 'interrupted' }));
      else if (userTurnId === null && callbacks) {
        // Whether the server stored the message is unknown: the text stays to send again.
        refuse('The connection to Engram failed before your message was confirmed. Send it again.');
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

  /**
   * Sends a message (already checked by the view). `onStored`: the server confirmed it is stored,
   * so the composer may empty; until then the text stays there, and stays on a refusal.
   */
  async function send(message: string, onStored: () => void) {
    setError(null);
    const question = newTurn('user', message);
    const answer = newTurn('assistant', '');
    setTurns((all) => [...all, question, answer]);
    const body: RequestBody = temporary
      ? { temporary: true, message, history: historyOf(turns) }
      : { conversationId: conversationRef.current ?? undefined, message };
    await stream(body, answer.key, {
      onStored,
      // Not stored: the bubbles go (the text is still in the composer).
      onRefused: () => setTurns((all) => all.filter((t) => t.key !== question.key && t.key !== answer.key)),
    });
  }

  /** Answers the last question again: its answer failed, was cut off, or is missing (`failedKey` null). */
  async function retry(failedKey: string | null) {
    const earlier = turns.filter((t) => t.key !== failedKey);
    const question = earlier.at(-1);
    let body: RequestBody;
    if (temporary && question) body = { temporary: true, message: question.content, history: historyOf(earlier.slice(0, -1)) };
    else if (conversationRef.current) body = { conversationId: conversationRef.current, retry: true };
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

  const stop = () => abort.current?.abort();

  return { turns, streaming, error, setError, conversationId, send, retry, forget, stop };
}
