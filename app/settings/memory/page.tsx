import Link from 'next/link';
import { connection } from 'next/server';
import { GuestRetention } from '@/components/guest-retention';
import { MemoryList, type FactView } from '@/components/settings/memory-list';
import { getSessionUser } from '@/lib/auth/session';
import type { UserFact } from '@/lib/db/schema';
import { env } from '@/lib/env';
import { FACT_HEADINGS } from '@/lib/memory/memory-block';
import { FACT_TYPES } from '@/lib/memory/fact-ref';
import type { FactSort } from '@/lib/memory/manage-facts';
import { decayPolicyFrom, getServices } from '@/lib/services';
import {
  deleteAccountAction,
  deleteAllFactsAction,
  deleteFactAction,
  editFactAction,
  setMemoryAction,
  signOutEverywhereAction,
  undoDeleteAction,
} from './actions';

export const metadata = { title: 'What I remember about you · Engram' };

const SORTS: Record<FactSort, string> = { newest: 'Newest', most_used: 'Most used', confidence: 'Confidence' };

const buttonClass = 'rounded-lg border border-neutral-300 px-3 py-1.5 text-sm hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800';
const dangerClass = 'rounded-lg bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800';

export default async function MemorySettingsPage({ searchParams }: { searchParams: Promise<{ q?: string; sort?: string }> }) {
  await connection();
  const user = await getSessionUser();
  if (!user) {
    return (
      <main className="space-y-3">
        <h1 className="text-2xl font-semibold">What I remember about you</h1>
        <p className="text-neutral-500">Nothing yet: Engram learns about you as you chat.</p>
      </main>
    );
  }
  const params = await searchParams;
  const query = params.q?.trim().slice(0, 200) ?? '';
  const sort: FactSort = params.sort && params.sort in SORTS ? (params.sort as FactSort) : 'newest';
  const settings = env();
  const { memory } = await getServices();
  const { facts, count, histories } = await memory.search(user.id, { query, sort });
  const view = (f: UserFact): FactView => ({
    id: f.id,
    factType: f.factType,
    factText: f.factText,
    confidence: f.confidence,
    createdAt: f.createdAt.toISOString(),
    sourceConversationId: f.sourceConversationId,
    accessCount: f.accessCount,
    history: (histories.get(f.id) ?? []).map((h) => ({ id: h.id, factText: h.factText, supersededAt: h.supersededAt!.toISOString() })),
  });
  const groups = FACT_TYPES.map((type) => ({ heading: FACT_HEADINGS[type], facts: facts.filter((f) => f.factType === type).map(view) }));

  return (
    <main className="space-y-8">
      <header className="space-y-2">
        <h1 className="text-2xl font-semibold">What I remember about you</h1>
        <p className="text-sm text-neutral-500" data-testid="fact-count">
          {count} of {decayPolicyFrom(settings).maxFactsPerUser} memories. Engram learns these from your chats; edit or delete anything.
        </p>
        {user.isAnonymous && (
          <p className="text-sm" data-testid="guest-retention">
            <GuestRetention days={settings.GUEST_TTL_DAYS} />{' '}
            <Link href="/sign-up" className="underline underline-offset-2">
              Sign up
            </Link>{' '}
            to keep it.
          </p>
        )}
      </header>

      <form action={setMemoryAction} className="flex flex-wrap items-center gap-3 rounded-xl border border-neutral-200 p-4 dark:border-neutral-800">
        <label className="flex items-center gap-2 font-medium">
          <input type="checkbox" name="enabled" defaultChecked={user.memoryEnabled} data-testid="memory-switch" className="size-4" />
          Memory is {user.memoryEnabled ? 'on' : 'off'}
        </label>
        <label className="flex items-center gap-2 font-medium">
          <input type="checkbox" name="referenceChats" defaultChecked={user.referenceChats} data-testid="reference-chats-switch" className="size-4" />
          Reference past chats
        </label>
        <button type="submit" className={buttonClass} data-testid="memory-switch-save">
          Save
        </button>
        <p className="w-full text-sm text-neutral-500">
          While memory is off, Engram neither uses nor learns memories; what it knows is kept until you delete it. With
          past chats referenced, Engram also searches what you said in earlier conversations and may quote it; without,
          it uses only the memories listed here. For a single
          conversation without memory, start a{' '}
          <Link href="/?temporary=1" className="underline underline-offset-2" data-testid="temporary-chat-link">
            temporary chat
          </Link>
          .
        </p>
      </form>

      <form role="search" className="flex flex-wrap gap-2" action="/settings/memory">
        <label htmlFor="q" className="sr-only">
          Search memories
        </label>
        <input
          id="q"
          name="q"
          defaultValue={query}
          placeholder="Search by meaning or words"
          data-testid="memory-search"
          className="min-w-0 flex-1 rounded-lg border border-neutral-300 bg-white px-3 py-1.5 dark:border-neutral-700 dark:bg-neutral-900"
        />
        <label htmlFor="sort" className="sr-only">
          Sort by
        </label>
        <select id="sort" name="sort" defaultValue={sort} data-testid="memory-sort" className="rounded-lg border border-neutral-300 bg-white px-2 dark:border-neutral-700 dark:bg-neutral-900">
          {Object.entries(SORTS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit" className={buttonClass}>
          Search
        </button>
      </form>

      <MemoryList groups={groups} editFact={editFactAction} deleteFact={deleteFactAction} undoDelete={undoDeleteAction} />

      {!user.isAnonymous && (
        <section className="space-y-3 rounded-xl border border-neutral-200 p-4 dark:border-neutral-800" aria-labelledby="sessions">
          <h2 id="sessions" className="font-semibold">
            Sessions
          </h2>
          <form action={signOutEverywhereAction} className="space-y-2">
            <p className="text-sm text-neutral-500">
              Signed in as {user.email}. Signing out everywhere ends every session of this account, on every device and in
              this browser; sign in again to continue.
            </p>
            <button type="submit" className={buttonClass} data-testid="sign-out-everywhere">
              Sign out everywhere
            </button>
          </form>
        </section>
      )}

      <section className="space-y-3 rounded-xl border border-neutral-200 p-4 dark:border-neutral-800" aria-labelledby="your-data">
        <h2 id="your-data" className="font-semibold">
          Your data
        </h2>
        <p>
          <a href="/api/account/export" download className="underline underline-offset-2" data-testid="export-data">
            Download all my data (JSON)
          </a>
        </p>
        <details>
          <summary className="cursor-pointer" data-testid="delete-all-open">
            Delete all memories
          </summary>
          <form action={deleteAllFactsAction} className="mt-2 space-y-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="confirm" required data-testid="delete-all-confirm" /> Yes, forget everything Engram
              learned about me (these memories, and what it keeps of past chats for reference; the chats themselves stay)
            </label>
            <button type="submit" className={dangerClass} data-testid="delete-all">
              Delete all memories
            </button>
          </form>
        </details>
        <details>
          <summary className="cursor-pointer" data-testid="delete-account-open">
            Delete my account and all data
          </summary>
          <form action={deleteAccountAction} className="mt-2 space-y-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="confirm" required data-testid="delete-account-confirm" /> Yes, delete my account, conversations and memories
            </label>
            <button type="submit" className={dangerClass} data-testid="delete-account">
              Delete everything
            </button>
          </form>
        </details>
      </section>
    </main>
  );
}
