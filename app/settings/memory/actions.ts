'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { signOut } from '@/lib/auth';
import { getCurrentUser } from '@/lib/auth/current-user';
import { deleteAccount } from '@/lib/db/user-data';
import { runAsUser } from '@/lib/db/user-context';
import { deleteAllFacts, deleteFacts, editFact, restoreFact, setMemoryEnabled, type DeletedFact } from '@/lib/memory/manage-facts';
import { FACT_TYPES } from '@/lib/memory/fact-schema';
import { getServices } from '@/lib/services';

const PATH = '/settings/memory';

/** Runs `work` as the session's user; every action acts on that user's rows only. */
async function asCurrentUser<T>(work: (userId: string) => Promise<T>): Promise<T> {
  const user = await getCurrentUser();
  if (!user) redirect('/');
  return runAsUser(user.id, () => work(user.id));
}

export async function setMemoryAction(form: FormData) {
  await asCurrentUser(async (userId) => {
    const { memory } = await getServices();
    await setMemoryEnabled(memory.db, userId, form.get('enabled') === 'on');
  });
  revalidatePath('/', 'layout');
}

const factText = z.string().trim().min(1, 'A memory cannot be empty.').max(500, 'Keep a memory under 500 characters.');

export async function editFactAction(factId: string, _previous: string | null, form: FormData): Promise<string | null> {
  const parsed = factText.safeParse(form.get('factText'));
  if (!parsed.success) return parsed.error.issues[0]!.message;
  const edited = await asCurrentUser(async (userId) => {
    const { memory } = await getServices();
    return editFact(memory.db, memory.embedder, userId, factId, parsed.data);
  });
  if (!edited) return 'That memory no longer exists.';
  revalidatePath(PATH);
  return null;
}

export async function deleteFactAction(factId: string): Promise<DeletedFact | null> {
  const [deleted] = await asCurrentUser(async (userId) => deleteFacts((await getServices()).memory.db, userId, [factId]));
  revalidatePath(PATH);
  return deleted ?? null;
}

const deletedFact = z.object({
  id: z.uuid(),
  factType: z.enum(FACT_TYPES),
  factText,
  confidence: z.number().min(0).max(1),
  createdAt: z.coerce.date(),
  sourceConversationId: z.uuid().nullable(),
  accessCount: z.number().int().min(0),
});

export async function undoDeleteAction(fact: DeletedFact) {
  const parsed = deletedFact.parse(fact);
  await asCurrentUser(async (userId) => {
    const { memory } = await getServices();
    return restoreFact(memory.db, memory.embedder, userId, parsed);
  });
  revalidatePath(PATH);
}

export async function deleteAllFactsAction(form: FormData) {
  if (form.get('confirm') !== 'on') return;
  await asCurrentUser(async (userId) => deleteAllFacts((await getServices()).memory.db, userId));
  revalidatePath(PATH);
}

export async function deleteAccountAction(form: FormData) {
  if (form.get('confirm') !== 'on') return;
  await asCurrentUser(async (userId) => deleteAccount((await getServices()).memory.db, userId));
  await signOut({ redirectTo: '/' });
}
