'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { signOut } from '@/lib/auth';
import { asSessionUser, getSessionUser } from '@/lib/auth/session';
import { endSessions } from '@/lib/auth/session-version';
import type { Database } from '@/lib/db/client';
import type { User } from '@/lib/db/schema';
import { deleteAccount } from '@/lib/db/user-data';
import type { EditResult } from '@/components/settings/memory-list';
import type { Memory } from '@/lib/memory';
import { FACT_TYPES, type DeletedFact } from '@/lib/memory/fact-ref';
import { getServices } from '@/lib/services';

const PATH = '/settings/memory';

/** One unit of work as the session's user; every action acts on that user's rows only. */
async function asCurrentUser<T>(work: (tx: Database, user: User) => Promise<T>): Promise<T> {
  const session = await asSessionUser(work);
  if (!session) redirect('/');
  return session.result;
}

/** The session's user, and the memory engine that acts on that user's rows. */
async function currentUser(): Promise<{ user: User; memory: Memory }> {
  const user = await getSessionUser();
  if (!user) redirect('/');
  return { user, memory: (await getServices()).memory };
}

// Ids come from the page, so anything may arrive: a malformed one is refused before the database.
const factId = z.uuid('That is not a memory id.');

export async function setMemoryAction(form: FormData) {
  const { user, memory } = await currentUser();
  await memory.setSwitches(user.id, { memoryEnabled: form.get('enabled') === 'on', referenceChats: form.get('referenceChats') === 'on' });
  revalidatePath('/', 'layout');
}

const factText = z
  .string()
  .trim()
  .min(1, 'A memory cannot be empty.')
  .max(500, 'Keep a memory under 500 characters.')
  .refine((text) => !text.includes('\0'), 'A memory cannot contain a NUL character (\\0).');

/** A person's correction of a fact: the problem to show, or the id of the fact that replaced it. */
export async function editFactAction(id: string, form: FormData): Promise<EditResult> {
  const parsedId = factId.safeParse(id);
  if (!parsedId.success) return { error: 'That memory no longer exists.' };
  const parsed = factText.safeParse(form.get('factText'));
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  const { user, memory } = await currentUser();
  const edited = await memory.edit(user.id, parsedId.data, parsed.data);
  if (!edited) return { error: 'That memory no longer exists.' };
  revalidatePath(PATH);
  return { id: edited.id };
}

export async function deleteFactAction(id: string): Promise<DeletedFact | null> {
  const parsedId = factId.safeParse(id);
  if (!parsedId.success) return null;
  const { user, memory } = await currentUser();
  const [deleted] = await memory.forget.facts(user.id, [parsedId.data]);
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
  const parsed = deletedFact.safeParse(fact);
  if (!parsed.success) return;
  const { user, memory } = await currentUser();
  await memory.forget.undo(user.id, parsed.data);
  revalidatePath(PATH);
}

export async function deleteAllFactsAction(form: FormData) {
  if (form.get('confirm') !== 'on') return;
  const { user, memory } = await currentUser();
  await memory.forget.all(user.id);
  revalidatePath(PATH);
}

/** Ends every session of this account, on every device (a copied cookie too), then this one's cookie. */
export async function signOutEverywhereAction() {
  await asCurrentUser((tx, user) => endSessions(tx, user.id));
  await signOut({ redirectTo: '/' });
}

export async function deleteAccountAction(form: FormData) {
  if (form.get('confirm') !== 'on') return;
  // Deliberate: the user's row goes, and its foreign keys' cascades take every row of theirs; a
  // session naming a user that no longer exists is no session, on every device.
  await asCurrentUser((tx, user) => deleteAccount(tx, user.id));
  await signOut({ redirectTo: '/' });
}
