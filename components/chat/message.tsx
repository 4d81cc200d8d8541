import Link from 'next/link';
import type { UsedMemory } from '@/lib/chat/events';
import { Markdown } from '../markdown';

export interface ChatTurnView {
  key: string;
  /** The stored turn's id, once the server said it. */
  id?: number;
  /** A user message whose memories were forgotten on request ("Don't remember this"). */
  forgotten?: boolean;
  role: 'user' | 'assistant';
  content: string;
  status: 'streaming' | 'complete' | 'interrupted' | 'failed';
  memories: UsedMemory[];
  learned: UsedMemory[];
  /** Answers: the facts that what was learned replaced (older versions of the same thing). */
  replaced?: UsedMemory[];
  /** What memory tools changed during this answer. */
  changes: { action: 'remembered' | 'forgot'; facts: UsedMemory[] }[];
  error?: string;
  /** While the answer waits: why, and for how long ("…: trying again in 4 s"). */
  notice?: string;
}

/** Where a fact is on the memory page: its search finds it. */
const factHref = (fact: UsedMemory) => `/settings/memory?q=${encodeURIComponent(fact.factText)}`;

export function Message({ turn, onRetry, onForget }: { turn: ChatTurnView; onRetry?: () => void; onForget?: () => void }) {
  if (turn.role === 'user') {
    return (
      <div className="group ml-auto flex max-w-[85%] min-w-0 flex-col items-end gap-1">
        {/* A word longer than the bubble breaks rather than widening the page. */}
        <div data-testid="message-user" className="max-w-full rounded-2xl bg-neutral-100 px-4 py-2 whitespace-pre-wrap wrap-anywhere dark:bg-neutral-800">
          {turn.content}
        </div>
        {turn.forgotten ? (
          <p data-testid="message-forgotten" className="text-xs text-neutral-500 dark:text-neutral-400">
            Not remembered
          </p>
        ) : (
          onForget && (
            <button
              type="button"
              data-testid="forget-message"
              onClick={onForget}
              className="min-h-6 text-xs text-neutral-500 opacity-0 dark:text-neutral-400 group-hover:opacity-100 hover:underline focus:opacity-100 [@media(hover:none)]:opacity-100"
            >
              Don&apos;t remember this
            </button>
          )
        )}
      </div>
    );
  }
  return (
    <div data-testid="message-assistant" data-status={turn.status} className="max-w-full min-w-0 space-y-2 wrap-anywhere">
      {turn.content ? <Markdown source={turn.content} /> : turn.status === 'streaming' ? <ThinkingDots /> : null}
      {turn.notice && turn.status === 'streaming' && (
        <p role="status" data-testid="turn-notice" className="text-sm text-neutral-600 dark:text-neutral-400">
          {turn.notice}
        </p>
      )}
      {turn.status === 'interrupted' && (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <p className="text-neutral-600 dark:text-neutral-400">Stopped before the end.</p>
          {onRetry && <RetryButton onRetry={onRetry} />}
        </div>
      )}
      {turn.status === 'failed' && (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <p role="alert" data-testid="turn-error" className="text-red-700 dark:text-red-400">
            {turn.error ?? 'The answer failed.'}
          </p>
          {onRetry && <RetryButton onRetry={onRetry} />}
        </div>
      )}
      <div className="flex flex-wrap gap-3 text-xs text-neutral-500 dark:text-neutral-400">
        {turn.memories.length > 0 && (
          <details data-testid="memories-used">
            <summary className="min-h-6 cursor-pointer">
              Used {turn.memories.length} {turn.memories.length === 1 ? 'memory' : 'memories'}
            </summary>
            <ul className="mt-1 list-disc pl-5">
              {turn.memories.map((m) => (
                <li key={m.id}>{m.factText}</li>
              ))}
            </ul>
          </details>
        )}
        {turn.changes.map((change, i) => (
          <Link key={i} href="/settings/memory" data-testid="memory-changed" className="inline-flex min-h-6 items-center underline underline-offset-2">
            {change.action === 'remembered' ? 'Remembered' : 'Forgot'}: {change.facts.map((f) => f.factText).join('; ')}
          </Link>
        ))}
      </div>
      {turn.learned.length > 0 && <MemoryUpdated learned={turn.learned} replaced={turn.replaced ?? []} />}
    </div>
  );
}

/** What Engram learned from the question this answers, and what that replaced, each a link to the fact. */
function MemoryUpdated({ learned, replaced }: { learned: UsedMemory[]; replaced: UsedMemory[] }) {
  return (
    <div data-testid="memory-updated" className="text-xs text-neutral-600 dark:text-neutral-400">
      <Link href="/settings/memory" data-testid="memory-updated-link" className="inline-flex min-h-6 items-center font-medium underline underline-offset-2">
        Memory updated
      </Link>
      <ul className="list-disc pl-5">
        {learned.map((fact) => (
          <li key={fact.id} data-testid="memory-learned">
            <Link href={factHref(fact)} className="inline-flex min-h-6 items-center underline underline-offset-2">
              {fact.factText}
            </Link>
          </li>
        ))}
        {replaced.map((fact) => (
          <li key={fact.id} data-testid="memory-replaced">
            Replaces: <span className="line-through">{fact.factText}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RetryButton({ onRetry }: { onRetry: () => void }) {
  return (
    <button
      type="button"
      data-testid="retry-button"
      onClick={onRetry}
      className="min-h-6 rounded-md border border-neutral-300 px-2 py-1 hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800"
    >
      Retry
    </button>
  );
}

function ThinkingDots() {
  return (
    <span aria-label="Writing" className="inline-flex gap-1">
      {[0, 1, 2].map((i) => (
        <span key={i} className="size-1.5 animate-pulse rounded-full bg-neutral-400" style={{ animationDelay: `${i * 150}ms` }} />
      ))}
    </span>
  );
}
