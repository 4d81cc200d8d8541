'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Composer } from './composer';
import { Message, RetryButton, type ChatTurnView } from './message';
import { useChatStream } from './use-chat-stream';

interface ChatProps {
  conversationId: string | null;
  initialTurns: ChatTurnView[];
  maxChars: number;
  /** Kept by the browser alone: nothing is stored, memory is neither used nor updated. */
  temporary?: boolean;
  /** The user's memory switch (on for a visitor, who has none yet). */
  memoryEnabled: boolean;
}

export function Chat({ conversationId: initialId, initialTurns, maxChars, temporary = false, memoryEnabled }: ChatProps) {
  const router = useRouter();
  const [input, setInput] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const clearInput = useCallback(() => setInput(''), []);
  const chat = useChatStream({ conversationId: initialId, initialTurns, temporary, onReset: clearInput });
  const { turns, streaming, error } = chat;

  useEffect(() => {
    // Braces matter: newer browsers return a promise from scrollIntoView, which is no clean-up.
    void bottom.current?.scrollIntoView({ block: 'end' });
  }, [turns]);

  const focusComposer = () => inputRef.current?.focus();
  // On load the composer is what the page is for, except on a touch screen, where focus would
  // open the keyboard over the conversation.
  useEffect(() => {
    if (!matchMedia('(pointer: coarse)').matches) inputRef.current?.focus();
  }, []);
  // Send turns into Stop and Stop back into Send: the button that had focus is gone, so focus
  // goes to the composer rather than to <body>.
  const started = useRef(false);
  useEffect(() => {
    if (!started.current) {
      started.current = true;
      return;
    }
    if (!document.activeElement || document.activeElement === document.body) inputRef.current?.focus();
  }, [streaming]);

  async function send() {
    const message = input.trim();
    if (!message) return;
    if (message.length > maxChars) {
      chat.setError(`Your message is ${message.length.toLocaleString('en')} characters long; the limit is ${maxChars.toLocaleString('en')}.`);
      return;
    }
    // Stored: the composer empties, unless the person already typed something else.
    await chat.send(message, () => setInput((current) => (current.trim() === message ? '' : current)));
  }

  function retry(failedKey: string | null) {
    focusComposer();
    void chat.retry(failedKey);
  }

  const last = turns.at(-1);
  const canRetry = !streaming && (last?.status === 'failed' || last?.status === 'interrupted');
  // Only a chat with nothing stored yet can become temporary, or stop being so (a new page).
  const canToggleTemporary = temporary || (chat.conversationId === null && turns.length === 0);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <h1 className="sr-only">{temporary ? 'Temporary chat' : 'Chat with Engram'}</h1>
      <div className="flex-1 overflow-y-auto px-4" data-testid="conversation">
        <div className="mx-auto flex max-w-3xl flex-col gap-5 py-6">
          {temporary && (
            <p role="status" data-testid="temporary-notice" className="rounded-lg bg-neutral-100 px-3 py-2 text-center text-sm dark:bg-neutral-800">
              Temporary chat: not saved, and memory is neither used nor updated.
            </p>
          )}
          {!temporary && !memoryEnabled && (
            <p data-testid="memory-off-notice" className="rounded-lg bg-neutral-100 px-3 py-2 text-center text-sm dark:bg-neutral-800">
              Memory is off: Engram neither uses nor learns anything about you, and nothing you say here will be remembered.{' '}
              <Link href="/settings/memory" className="underline underline-offset-2">
                Memory settings
              </Link>
            </p>
          )}
          {turns.length === 0 && (
            <p className="py-16 text-center text-neutral-500 dark:text-neutral-400" data-testid="empty-chat">
              {temporary || !memoryEnabled ? 'Ask anything.' : 'Ask anything. Engram remembers what matters about you across conversations.'}
            </p>
          )}
          {turns.map((turn) => (
            <Message
              key={turn.key}
              turn={turn}
              onRetry={turn === last && canRetry ? () => retry(turn.key) : undefined}
              onForget={
                turn.role === 'user' && turn.id !== undefined && !temporary
                  ? () => {
                      focusComposer();
                      void chat.forget(turn);
                    }
                  : undefined
              }
            />
          ))}
          {last?.role === 'user' && !streaming && <MissingAnswer onRetry={() => retry(null)} />}
          <div ref={bottom} />
        </div>
      </div>
      <div className="mx-auto w-full max-w-3xl px-4 pb-4">
        <Composer
          value={input}
          onChange={(value) => {
            setInput(value);
            if (error) chat.setError(null);
          }}
          onSend={() => void send()}
          onStop={() => {
            chat.stop();
            focusComposer();
          }}
          streaming={streaming}
          maxChars={maxChars}
          error={error}
          inputRef={inputRef}
        />
        {canToggleTemporary && (
          <label className="mt-2 inline-flex min-h-6 cursor-pointer items-center gap-2 text-sm text-neutral-600 dark:text-neutral-400">
            <input
              type="checkbox"
              role="switch"
              data-testid="temporary-toggle"
              checked={temporary}
              // A temporary chat is its own page (/?temporary=1): switching starts afresh.
              onChange={(e) => router.push(e.target.checked ? '/?temporary=1' : '/')}
              className="size-6"
            />
            Temporary chat (not saved, no memory)
          </label>
        )}
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
