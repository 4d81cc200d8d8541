'use client';

import Link from 'next/link';
import { useActionState, useEffect, useOptimistic, useState, useTransition } from 'react';
import type { DeletedFact } from '@/lib/memory/manage-facts';

export interface FactView {
  id: string;
  factType: string;
  factText: string;
  confidence: number;
  createdAt: string;
  sourceConversationId: string | null;
  accessCount: number;
  history: { id: string; factText: string; supersededAt: string }[];
}

interface MemoryListProps {
  groups: { heading: string; facts: FactView[] }[];
  editFact: (factId: string, previous: string | null, form: FormData) => Promise<string | null>;
  deleteFact: (factId: string) => Promise<DeletedFact | null>;
  undoDelete: (fact: DeletedFact) => Promise<void>;
}

const UNDO_MS = 8000;
const date = (iso: string) => new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' });

/** The facts, grouped; deleting hides a fact at once and offers Undo for a few seconds. */
export function MemoryList({ groups, editFact, deleteFact, undoDelete }: MemoryListProps) {
  const [hidden, hide] = useOptimistic<string[], string>([], (ids, id) => [...ids, id]);
  const [deleted, setDeleted] = useState<DeletedFact | null>(null);
  const [, startTransition] = useTransition();

  useEffect(() => {
    if (!deleted) return;
    const timer = setTimeout(() => setDeleted(null), UNDO_MS);
    return () => clearTimeout(timer);
  }, [deleted]);

  function remove(id: string) {
    startTransition(async () => {
      hide(id);
      setDeleted(await deleteFact(id));
    });
  }

  const visible = groups.map((g) => ({ ...g, facts: g.facts.filter((f) => !hidden.includes(f.id)) })).filter((g) => g.facts.length);
  return (
    <>
      {visible.length === 0 && <p className="text-neutral-500" data-testid="no-memories">Nothing remembered here.</p>}
      {visible.map((group) => (
        <section key={group.heading} aria-labelledby={`group-${group.heading}`} className="space-y-2">
          <h2 id={`group-${group.heading}`} className="text-sm font-semibold tracking-wide text-neutral-500 uppercase">
            {group.heading}
          </h2>
          <ul className="divide-y divide-neutral-200 rounded-xl border border-neutral-200 dark:divide-neutral-800 dark:border-neutral-800">
            {group.facts.map((fact) => (
              <FactItem key={fact.id} fact={fact} editFact={editFact} onDelete={() => remove(fact.id)} />
            ))}
          </ul>
        </section>
      ))}
      {deleted && (
        <div role="status" data-testid="undo-toast" className="fixed inset-x-0 bottom-4 mx-auto flex w-fit items-center gap-3 rounded-lg bg-neutral-900 px-4 py-2 text-sm text-white shadow-lg dark:bg-neutral-100 dark:text-neutral-900">
          Deleted “{deleted.factText}”.
          <button
            type="button"
            data-testid="undo-delete"
            className="font-semibold underline underline-offset-2"
            onClick={() => {
              const fact = deleted;
              setDeleted(null);
              startTransition(() => undoDelete(fact));
            }}
          >
            Undo
          </button>
        </div>
      )}
    </>
  );
}

function FactItem({ fact, editFact, onDelete }: { fact: FactView; editFact: MemoryListProps['editFact']; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const [error, save, saving] = useActionState(async (previous: string | null, form: FormData) => {
    const problem = await editFact(fact.id, previous, form);
    if (!problem) setEditing(false);
    return problem;
  }, null);

  return (
    <li className="space-y-2 p-3" data-testid="fact" data-fact-id={fact.id}>
      {editing ? (
        <form action={save} className="space-y-2">
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
            className="w-full rounded-lg border border-neutral-300 bg-white p-2 dark:border-neutral-700 dark:bg-neutral-900"
          />
          {error && (
            <p role="alert" className="text-sm text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          <div className="flex gap-2 text-sm">
            <button type="submit" disabled={saving} data-testid="fact-save" className="rounded-md bg-neutral-900 px-3 py-1 text-white dark:bg-neutral-100 dark:text-neutral-900">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)} className="rounded-md px-3 py-1">
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p data-testid="fact-text">{fact.factText}</p>
      )}
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-neutral-500">
        <span>Learned {date(fact.createdAt)}</span>
        {fact.sourceConversationId && (
          <Link href={`/chat/${fact.sourceConversationId}`} className="underline underline-offset-2" data-testid="fact-source">
            from this conversation
          </Link>
        )}
        <span>
          used {fact.accessCount} {fact.accessCount === 1 ? 'time' : 'times'}
        </span>
        <span>confidence {Math.round(fact.confidence * 100)}%</span>
        {!editing && (
          <>
            <button type="button" onClick={() => setEditing(true)} data-testid="fact-edit" className="underline underline-offset-2">
              Edit
            </button>
            <button type="button" onClick={onDelete} data-testid="fact-delete" className="text-red-700 underline underline-offset-2 dark:text-red-400">
              Delete
            </button>
          </>
        )}
      </div>
      {fact.history.length > 0 && (
        <details className="text-xs text-neutral-500" data-testid="fact-history">
          <summary className="cursor-pointer">History ({fact.history.length})</summary>
          <ul className="mt-1 list-disc pl-5">
            {fact.history.map((old) => (
              <li key={old.id}>
                <s>{old.factText}</s> until {date(old.supersededAt)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
