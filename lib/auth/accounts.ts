/**
 * Accounts with an email and a password: creating one, and checking a sign-in. The slow password
 * hashing runs outside their units of work.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { users, type User } from '../db/schema';
import type { Store } from '../db/store';
import { hashPassword, verifyPassword } from './passwords';

export type CreateAccountResult = { ok: true; user: User } | { ok: false; error: 'email_taken' };

/** `email` must already be normalised (see emailSchema). */
export async function createAccount(store: Store, email: string, password: string): Promise<CreateAccountResult> {
  const passwordHash = await hashPassword(password);
  // As the new user itself, not the system: row-level security lets the unit write and read back
  // this one row, nothing of anyone else's.
  const id = randomUUID();
  const [user] = await store.asUser(id, (tx) =>
    tx
      .insert(users)
      .values({ id, email, passwordHash, isAnonymous: false })
      // The unique index decides between two sign-ups racing for one email.
      .onConflictDoNothing({ target: users.email })
      .returning(),
  );
  return user ? { ok: true, user } : { ok: false, error: 'email_taken' };
}

// A real hash to verify against when the email is unknown, so both answers take the same time.
let decoyHash: Promise<string> | undefined;

/**
 * The account for these credentials, or undefined; as slow for an unknown email as for a wrong
 * password. Finding a user by email looks across users: a system unit of work.
 */
export async function checkCredentials(store: Store, email: string, password: string): Promise<User | undefined> {
  const [user] = await store.asSystem((tx) => tx.select().from(users).where(eq(users.email, email)));
  decoyHash ??= hashPassword('decoy password, never valid');
  const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash), password);
  return user?.passwordHash && valid ? user : undefined;
}
