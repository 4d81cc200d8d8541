import Link from 'next/link';
import { connection } from 'next/server';
import { GuestRetention } from '@/components/guest-retention';
import { MemoryList, type FactView } from '@/components/settings/memory-list';
import { MemorySearch } from '@/components/settings/memory-search';
import { MemorySwitches } from '@/components/settings/memory-switches';
import { getSessionUser } from '@/lib/auth/session';
import type { UserFact } from '@/lib/db/schema';
import { env } from '@/lib/env';
import { expiresAt, type DecayPolicy } from '@/lib/memory/decay';
import { FACT_HEADINGS } from '@/lib/memory/memory-block';
import { FACT_TYPES } from '@/lib/memory/fact-ref';
import type { SearchSort } from '@/lib/memory/manage-facts';
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

/** "By type" groups the facts, newest first in each group; every other order is one list. */
type PageSort = 'type' | SearchSort;
const LIST_SORTS: Partial<Record<PageSort, string>> = { type: 'By type', newest: 'Newest', most_used: 'Most used', confidence: 'Confidence' };
const SEARCH_SORTS: Partial<Record<PageSort, string>> = { relevance: 'Best match', ...LIST_SORTS };

/** Facts forgotten within this many days are flagged, and counted in the notice. */
const SOON_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

const buttonClass = 'min-h-6 rounded-lg border border-neutral-300 px-3 py-1.5 text-sm hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800';
const dangerClass = 'min-h-6 rounded-lg bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800';
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * A fact as the list shows it, with when the nightly job forgets it. A server component renders
 * once per request, so "soon" is measured from the request's time.
 */
function toView(f: UserFact, history: UserFact[], policy: DecayPolicy): FactView {
  const expiry = expiresAt(f, policy);
  return {
    id: f.id,
    factType: f.factType,
    factText: f.factText,
    confidence: f.confidence,
    createdAt: f.createdAt.toISOString(),
    sourceConversationId: f.sourceConversationId,
    accessCount: f.accessCount,
    expiresAt: expiry?.toISOString() ?? null,
    expiresSoon: expiry !== null && expiry.getTime() - Date.now() < SOON_DAYS * DAY_MS,
    history: history.map((h) => ({ id: h.id, factText: h.factText, supersededAt: h.supersededAt!.toISOString() })),
  };
}

export default async function MemorySettingsPage({ searchParams }: { searchParams: Promise<{ q?: string; sort?: string }> }) {
  await connection();
  const user = await getSessionUser();
  if (!user) {
    return (
      <main className="space-y-3">
        <h1 className="text-2xl font-semibold">What I remember about you</h1>
        <p className="text-neutral-600 dark:text-neutral-400">Nothing yet: Engram learns about you as you chat.</p>
      </main>
    );
  }
  const params = await searchParams;
  const query = params.q?.trim().slice(0, 200) ?? '';
  const sorts = query ? SEARCH_SORTS : LIST_SORTS;
  const sort: PageSort = params.sort && params.sort in sorts ? (params.sort as PageSort) : query ? 'relevance' : 'type';
  const settings = env();
  const policy = decayPolicyFrom(settings);
  const { memory } = await getServices();
  const { facts, count, histories } = await memory.search(user.id, { query, sort: sort === 'type' ? (query ? 'relevance' : 'newest') : sort });
  const views = facts.map((f) => toView(f, histories.get(f.id) ?? [], policy));
  const groups =
    sort === 'type'
      ? FACT_TYPES.map((type) => ({ heading: FACT_HEADINGS[type], facts: views.filter((f) => f.factType === type) }))
      : [{ heading: null, facts: views }];
  const expiringSoon = query ? null : views.filter((f) => f.expiresSoon).length;
  const full = count >= policy.maxFactsPerUser;

  return (
    <main className="space-y-8">
      <header className="space-y-2">
        <h1 className="text-2xl font-semibold">What I remember about you</h1>
        <p className="text-sm text-neutral-600 dark:text-neutral-400" data-testid="fact-count">
          {count} of {policy.maxFactsPerUser} memories. Engram learns these from your chats; edit or delete anything.
        </p>
        <p className="text-sm text-neutral-600 dark:text-neutral-400" data-testid="memory-limits">
          A memory used fewer than {plural(policy.minAccessCount, 'time')} is forgotten overnight once it has gone unused for{' '}
          {plural(policy.ttlDays, 'day')}; each one below says when.
          {expiringSoon !== null && ` ${expiringSoon === 0 ? 'None' : expiringSoon} will be forgotten in the next ${SOON_DAYS} days.`}
        </p>
        {full && (
          <p role="note" className="rounded-lg border border-amber-700 px-3 py-2 text-sm text-amber-900 dark:border-amber-400 dark:text-amber-200" data-testid="memory-full">
            Memory full: Engram keeps at most {policy.maxFactsPerUser} memories. It still learns, but each night it keeps only the{' '}
            {policy.maxFactsPerUser} with the highest confidence and most uses and forgets the rest. Delete what you no longer need to
            make room.
          </p>
        )}
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

      <section aria-label="Memory settings" className="space-y-3 rounded-xl border border-neutral-200 p-4 dark:border-neutral-800">
        <MemorySwitches initial={{ memoryEnabled: user.memoryEnabled, referenceChats: user.referenceChats }} save={setMemoryAction} />
        <p className="text-sm text-neutral-600 dark:text-neutral-400">
          Each switch takes effect as soon as you change it. While memory is off, Engram neither uses nor learns memories;
          what it knows is kept until you delete it. With past chats referenced, Engram also searches what you said in earlier
          conversations and may quote it; without, it uses only the memories listed here. For a single conversation without
          memory, start a{' '}
          <Link href="/?temporary=1" className="underline underline-offset-2" data-testid="temporary-chat-link">
            temporary chat
          </Link>
          .
        </p>
      </section>

      <MemorySearch query={query} sort={sort} sorts={sorts as Record<string, string>} />

      <MemoryList groups={groups} query={query} editFact={editFactAction} deleteFact={deleteFactAction} undoDelete={undoDeleteAction} />

      {!user.isAnonymous && (
        <section className="space-y-3 rounded-xl border border-neutral-200 p-4 dark:border-neutral-800" aria-labelledby="sessions">
          <h2 id="sessions" className="font-semibold">
            Sessions
          </h2>
          <form action={signOutEverywhereAction} className="space-y-2">
            <p className="text-sm text-neutral-600 dark:text-neutral-400">
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
          <summary className="cursor-pointer py-1" data-testid="delete-all-open">
            Delete all memories
          </summary>
          <form action={deleteAllFactsAction} className="mt-2 space-y-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="confirm" required data-testid="delete-all-confirm" className="size-6 shrink-0" /> Yes, forget everything Engram
              learned about me (these memories, and what it keeps of past chats for reference; the chats themselves stay)
            </label>
            <button type="submit" className={dangerClass} data-testid="delete-all">
              Delete all memories
            </button>
          </form>
        </details>
        <details>
          <summary className="cursor-pointer py-1" data-testid="delete-account-open">
            Delete my account and all data
          </summary>
          <form action={deleteAccountAction} className="mt-2 space-y-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="confirm" required data-testid="delete-account-confirm" className="size-6 shrink-0" /> Yes, delete my account, conversations and memories
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
