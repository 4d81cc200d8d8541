'use client';

import Link from 'next/link';
import { useActionState, useCallback, useEffect, useLayoutEffect, useOptimistic, useReducer, useRef, useState, useTransition } from 'react';
import type { DeletedFact } from '@/lib/memory/manage-facts';

export interface FactView {
  id: string;
  factType: string;
  factText: string;
  confidence: number;
  createdAt: string;
  sourceConversationId: string | null;
  accessCount: number;
  /** When the nightly job forgets it unless it is used first; null when it is kept (used often enough). */
  expiresAt: string | null;
  /** Forgotten within days: shown as a warning. */
  expiresSoon: boolean;
  history: { id: string; factText: string; supersededAt: string }[];
}

/** An edit's outcome: the problem to show, or the id of the fact that replaced the edited one. */
export type EditResult = { error: string } | { id: string };

interface MemoryListProps {
  /** One group per type when sorted by type; a single untitled group in any other order. */
  groups: { heading: string | null; facts: FactView[] }[];
  /** The search that chose these facts, if any: an empty result then says no memory matches it. */
  query: string;
  editFact: (factId: string, form: FormData) => Promise<EditResult>;
  deleteFact: (factId: string) => Promise<DeletedFact | null>;
  undoDelete: (fact: DeletedFact) => Promise<void>;
}

// Long enough to reach by keyboard (focus moves to it) and to read; Escape closes it sooner.
const UNDO_MS = 8000;
const date = (iso: string) => new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' });
const targetClass = 'inline-flex min-h-6 min-w-6 items-center';

/** Where focus goes next: a fact (its Edit button), or the list's heading. */
type FocusTarget = { factId: string } | 'heading';

interface PendingUndo {
  id: string;
  factText: string;
  /** The server's copy of the deleted fact, once the delete is stored. */
  fact: DeletedFact | null;
  /** Where focus goes when the notice closes without Undo. */
  next: FocusTarget;
}

/**
 * The facts, by type or in one list. Deleting hides a fact at once and moves focus to an Undo
 * notice for a few seconds; when it closes, focus goes to the next fact (or the restored one, or
 * the heading), never to the page's body. A live region says what each action did.
 */
export function MemoryList({ groups, query, editFact, deleteFact, undoDelete }: MemoryListProps) {
  const [hidden, hide] = useOptimistic<string[], string>([], (ids, id) => [...ids, id]);
  const [undo, setUndo] = useState<PendingUndo | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [, startTransition] = useTransition();
  const listRef = useRef<HTMLDivElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const undoButtonRef = useRef<HTMLButtonElement>(null);
  const focusTarget = useRef<FocusTarget | null>(null);
  // A request made from a fact's own state change (Cancel) must still re-render the list to be seen.
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const requestFocus = useCallback((target: FocusTarget) => {
    focusTarget.current = target;
    rerender();
  }, []);
  // Undo pressed before the delete was stored: the fact is restored as soon as it is.
  const undoWanted = useRef<string | null>(null);

  const visible = groups.map((g) => ({ ...g, facts: g.facts.filter((f) => !hidden.includes(f.id)) })).filter((g) => g.facts.length);
  const order = visible.flatMap((g) => g.facts.map((f) => f.id));

  // After every render: a fact that was asked for may have just arrived (an edit or an Undo comes
  // back from the server with the page), so focus it as soon as it is there.
  useLayoutEffect(() => {
    const target = focusTarget.current;
    if (!target) return;
    if (target === 'heading') {
      headingRef.current?.focus();
      focusTarget.current = null;
      return;
    }
    const button = listRef.current?.querySelector<HTMLElement>(`[data-fact-id="${target.factId}"] [data-testid="fact-edit"]`);
    if (button) {
      button.focus();
      focusTarget.current = null;
    }
  });

  const pendingUndo = undo !== null;
  useEffect(() => {
    if (pendingUndo) undoButtonRef.current?.focus();
  }, [pendingUndo]);

  const closeUndo = useCallback((then: FocusTarget) => {
    // Only a notice that holds focus hands it on: a person who has moved on keeps their place.
    const focused = document.activeElement;
    if (!focused || focused === document.body || noticeRef.current?.contains(focused)) focusTarget.current = then;
    setUndo(null);
  }, []);

  // The timer starts when the notice shows (not again when the server's copy arrives).
  const undoId = undo?.id;
  const undoNext = undo?.next;
  useEffect(() => {
    if (!undoId || !undoNext) return;
    const timer = setTimeout(() => closeUndo(undoNext), UNDO_MS);
    return () => clearTimeout(timer);
  }, [undoId, undoNext, closeUndo]);

  function nextAfter(id: string): FocusTarget {
    const i = order.indexOf(id);
    const next = order[i + 1] ?? order[i - 1];
    return next ? { factId: next } : 'heading';
  }

  function remove(fact: FactView) {
    const next = nextAfter(fact.id);
    // The notice shows at once, so focus has somewhere to go while the delete is stored.
    setUndo({ id: fact.id, factText: fact.factText, fact: null, next });
    setAnnouncement(`Deleted “${fact.factText}”. Undo is available for ${UNDO_MS / 1000} seconds.`);
    startTransition(async () => {
      hide(fact.id);
      const deleted = await deleteFact(fact.id);
      if (undoWanted.current === fact.id) {
        undoWanted.current = null;
        if (deleted) await restoreNow(deleted);
        return;
      }
      setUndo((current) => (current?.id === fact.id ? { ...current, fact: deleted } : current));
    });
  }

  async function restoreNow(fact: DeletedFact) {
    await undoDelete(fact);
    setAnnouncement(`Restored “${fact.factText}”.`);
  }

  function restore() {
    if (!undo) return;
    // The fact comes back with its own id: focus waits for it there.
    closeUndo({ factId: undo.id });
    const fact = undo.fact;
    if (fact) startTransition(() => restoreNow(fact));
    else undoWanted.current = undo.id;
  }

  const empty = visible.length === 0;
  return (
    <section aria-labelledby="memories-heading" className="space-y-4">
      <h2 id="memories-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold wrap-anywhere" data-testid="memories-heading">
        {query ? `Memories matching “${query}”` : 'Memories'}
      </h2>
      <div ref={listRef} className="space-y-6">
        {empty &&
          (query ? (
            <p className="text-neutral-600 dark:text-neutral-400 wrap-anywhere" data-testid="no-matches">
              No memories match “{query}”.
            </p>
          ) : (
            <p className="text-neutral-600 dark:text-neutral-400" data-testid="no-memories">
              Nothing remembered yet.
            </p>
          ))}
        {visible.map((group) => (
          <div key={group.heading ?? 'all'} className="space-y-2">
            {group.heading && (
              <h3 className="text-sm font-semibold tracking-wide text-neutral-600 uppercase dark:text-neutral-400">{group.heading}</h3>
            )}
            <ul className="divide-y divide-neutral-200 rounded-xl border border-neutral-200 dark:divide-neutral-800 dark:border-neutral-800">
              {group.facts.map((fact) => (
                <FactItem
                  key={fact.id}
                  fact={fact}
                  showType={!group.heading}
                  editFact={editFact}
                  onDelete={() => remove(fact)}
                  onEdited={(id, text) => {
                    requestFocus({ factId: id });
                    setAnnouncement(`Saved “${text}”.`);
                  }}
                  onCancel={() => requestFocus({ factId: fact.id })}
                />
              ))}
            </ul>
          </div>
        ))}
      </div>
      <p role="status" className="sr-only" data-testid="memory-announcement">
        {announcement}
      </p>
      {undo && (
        <div
          ref={noticeRef}
          role="group"
          aria-label="Memory deleted"
          data-testid="undo-toast"
          // Set once the server has stored the delete (the notice shows before that).
          data-stored={undo.fact ? 'true' : 'false'}
          onKeyDown={(e) => {
            if (e.key === 'Escape') closeUndo(undo.next);
          }}
          className="fixed inset-x-4 bottom-4 mx-auto flex max-w-md items-center gap-3 rounded-lg bg-neutral-900 px-4 py-2 text-sm text-white shadow-lg dark:bg-neutral-100 dark:text-neutral-900"
        >
          <span className="min-w-0 flex-1 wrap-anywhere">Deleted “{undo.factText}”.</span>
          <button
            ref={undoButtonRef}
            type="button"
            data-testid="undo-delete"
            onClick={restore}
            className="min-h-6 min-w-6 shrink-0 rounded font-semibold underline underline-offset-2"
          >
            Undo
          </button>
        </div>
      )}
    </section>
  );
}

interface FactItemProps {
  fact: FactView;
  showType: boolean;
  editFact: MemoryListProps['editFact'];
  onDelete: () => void;
  onEdited: (id: string, text: string) => void;
  onCancel: () => void;
}

function FactItem({ fact, showType, editFact, onDelete, onEdited, onCancel }: FactItemProps) {
  const [editing, setEditing] = useState(false);
  const [error, save, saving] = useActionState(async (_previous: string | null, form: FormData) => {
    const result = await editFact(fact.id, form);
    if ('error' in result) return result.error;
    setEditing(false);
    onEdited(result.id, String(form.get('factText')).trim());
    return null;
  }, null);
  const cancel = () => {
    setEditing(false);
    onCancel();
  };

  return (
    <li className="min-w-0 space-y-2 p-3" data-testid="fact" data-fact-id={fact.id}>
      {editing ? (
        <form
          action={save}
          className="space-y-2"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              cancel();
            }
          }}
        >
          <label htmlFor={`edit-${fact.id}`} className="sr-only">
            Memory text
          </label>
          <textarea
            id={`edit-${fact.id}`}
            name="factText"
            defaultValue={fact.factText}
            rows={2}
            autoFocus
            data-testid="fact-edit-input"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `edit-error-${fact.id}` : undefined}
            className="w-full rounded-lg border border-neutral-300 bg-white p-2 wrap-anywhere dark:border-neutral-700 dark:bg-neutral-900"
          />
          {error && (
            <p id={`edit-error-${fact.id}`} role="alert" className="text-sm text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          <div className="flex gap-2 text-sm">
            <button type="submit" disabled={saving} data-testid="fact-save" className="min-h-8 rounded-md bg-neutral-900 px-3 py-1 text-white dark:bg-neutral-100 dark:text-neutral-900">
              Save
            </button>
            <button type="button" onClick={cancel} data-testid="fact-cancel" className="min-h-8 rounded-md px-3 py-1">
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p data-testid="fact-text" className="wrap-anywhere">
          {fact.factText}
        </p>
      )}
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-neutral-600 dark:text-neutral-400">
        {showType && <span data-testid="fact-type">{fact.factType.replace('_', ' ')}</span>}
        <span>Learned {date(fact.createdAt)}</span>
        {fact.sourceConversationId && (
          <Link href={`/chat/${fact.sourceConversationId}`} className={`${targetClass} underline underline-offset-2`} data-testid="fact-source">
            from this conversation
          </Link>
        )}
        <span>
          used {fact.accessCount} {fact.accessCount === 1 ? 'time' : 'times'}
        </span>
        <span>confidence {Math.round(fact.confidence * 100)}%</span>
        {fact.expiresAt && (
          <span
            data-testid="fact-expiry"
            data-soon={fact.expiresSoon || undefined}
            className={fact.expiresSoon ? 'font-medium text-amber-800 dark:text-amber-300' : undefined}
          >
            forgotten after {date(fact.expiresAt)} unless used
          </span>
        )}
        {!editing && (
          <>
            <button
              type="button"
              onClick={() => setEditing(true)}
              data-testid="fact-edit"
              aria-label={`Edit “${fact.factText.slice(0, 80)}”`}
              className={`${targetClass} underline underline-offset-2`}
            >
              Edit
            </button>
            <button
              type="button"
              onClick={onDelete}
              data-testid="fact-delete"
              aria-label={`Delete “${fact.factText.slice(0, 80)}”`}
              className={`${targetClass} text-red-700 underline underline-offset-2 dark:text-red-400`}
            >
              Delete
            </button>
          </>
        )}
      </div>
      {fact.history.length > 0 && (
        <details className="text-xs text-neutral-600 dark:text-neutral-400" data-testid="fact-history">
          <summary className="cursor-pointer py-1">History ({fact.history.length})</summary>
          <ul className="mt-1 list-disc pl-5">
            {fact.history.map((old) => (
              <li key={old.id} className="wrap-anywhere">
                <s>{old.factText}</s> until {date(old.supersededAt)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
