'use client';

import { useId, type FormEvent, type KeyboardEvent, type Ref } from 'react';

interface ComposerProps {
  value: string;
  onChange: (value: string) => void;
  onSend: () => void;
  onStop: () => void;
  streaming: boolean;
  maxChars: number;
  error: string | null;
  /** The view moves focus back here after Stop, Retry and the like. */
  inputRef: Ref<HTMLTextAreaElement>;
}

/** The message box: Enter sends, Shift+Enter breaks the line, Stop while an answer streams. */
export function Composer({ value, onChange, onSend, onStop, streaming, maxChars, error, inputRef }: ComposerProps) {
  const errorId = useId();
  const tooLong = value.length > maxChars;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!streaming) onSend();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // An IME composing a character also presses Enter; that Enter is not a send.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (!streaming) onSend();
    }
  }

  return (
    // The ring is on the whole box, where the eye looks, whenever the text area has focus.
    <form
      onSubmit={submit}
      className="rounded-2xl border border-neutral-300 bg-white p-2 shadow-sm focus-within:border-neutral-500 focus-within:ring-2 focus-within:ring-neutral-500 dark:border-neutral-700 dark:bg-neutral-900 dark:focus-within:border-neutral-400 dark:focus-within:ring-neutral-400"
    >
      <label htmlFor="message" className="sr-only">
        Message
      </label>
      <textarea
        id="message"
        ref={inputRef}
        data-testid="message-input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        rows={2}
        placeholder="Message Engram"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        // The form draws the focus ring around the whole box (focus-within); outline-hidden, unlike
        // outline-none, still shows an outline in forced-colours mode, where rings are not drawn.
        className="max-h-60 w-full resize-none bg-transparent px-2 py-1 focus:outline-hidden"
      />
      <div className="flex items-center justify-between gap-2 px-1">
        <span className={`text-xs ${tooLong ? 'text-red-700 dark:text-red-400' : 'text-neutral-500 dark:text-neutral-400'}`} data-testid="char-count">
          {value.length > maxChars * 0.8 ? `${value.length.toLocaleString('en')} / ${maxChars.toLocaleString('en')}` : ''}
        </span>
        {streaming ? (
          <button type="button" data-testid="stop-button" onClick={onStop} className="min-h-6 rounded-lg bg-neutral-200 px-3 py-1.5 text-sm font-medium hover:bg-neutral-300 dark:bg-neutral-700 dark:hover:bg-neutral-600">
            Stop
          </button>
        ) : (
          <button
            type="submit"
            data-testid="send-button"
            disabled={!value.trim()}
            className="min-h-6 rounded-lg bg-neutral-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-neutral-700 disabled:opacity-40 dark:bg-neutral-100 dark:text-neutral-900 dark:hover:bg-neutral-300"
          >
            Send
          </button>
        )}
      </div>
      {error && (
        <p id={errorId} role="alert" data-testid="composer-error" className="px-2 pt-1 text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
