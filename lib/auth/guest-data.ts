/**
 * Signing up or in when this browser's guest may already have moved into an account: two tabs
 * share one cookie, so a second tab can submit after the first one's sign-up moved the guest's
 * chats and memories. That tab's request then carries either the merged guest's old cookie or the
 * new account's cookie. Either way it is told where the guest's data went: it never creates an
 * empty account from that session, and never switches accounts without saying the data stays
 * behind. Who is asking comes from the signed session cookie only (SessionIdentity).
 */
import { and, eq, notExists } from 'drizzle-orm';
import { accountMerges, conversations, userFacts, users, type User } from '../db/schema';
import type { Store } from '../db/store';
import type { MergeResult } from '../memory/merge';
import { messageOf } from '../errors';
import { createAccount } from './accounts';

/** The user the signed session cookie names, and whether the cookie was issued to a guest. */
export interface SessionIdentity {
  userId: string;
  isAnonymous: boolean;
}

/** What the session's user is now, which may differ from what its cookie was issued as. */
export type SessionStanding =
  /** No session, or one whose user no longer exists (deleted, or a reset database). */
  | { kind: 'visitor' }
  | { kind: 'guest'; guestId: string }
  /** A guest cookie whose data now belongs to an account, known to it by a masked email only. */
  | { kind: 'merged_guest'; accountId: string; maskedAccountEmail: string }
  | { kind: 'account'; accountId: string; email: string; holdsGuestData: boolean };

export type MergeGuest = (guestUserId: string, accountUserId: string) => Promise<MergeResult>;

/** What to tell a person whose request was held back, and where to go instead. */
export interface Refusal {
  message: string;
  link: { href: string; label: string };
}

/** "ada@example.com" as "a…@example.com": enough to recognise one's own address, not to learn another's. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 1 ? '…' : `${email[0]}…${email.slice(at)}`;
}

/**
 * Reads only rows of the session's own user (its user row, and the merges it is a party to), then,
 * for a merged guest, the masked email of the account its data went to.
 */
export async function standingOf(store: Store, identity: SessionIdentity | undefined): Promise<SessionStanding> {
  if (!identity) return { kind: 'visitor' };
  const { userId } = identity;
  const own = await store.asUser(userId, async (tx): Promise<SessionStanding | { kind: 'merged_into'; accountId: string }> => {
    const [user] = await tx.select({ isAnonymous: users.isAnonymous, email: users.email }).from(users).where(eq(users.id, userId));
    if (user?.isAnonymous) return { kind: 'guest', guestId: userId };
    if (user) {
      const merges = await tx
        .select({ id: accountMerges.anonymousUserId })
        .from(accountMerges)
        .where(eq(accountMerges.accountUserId, userId))
        .limit(1);
      // The users_account_has_email check guarantees an account's email.
      return { kind: 'account', accountId: userId, email: user.email!, holdsGuestData: merges.length > 0 };
    }
    if (!identity.isAnonymous) return { kind: 'visitor' };
    const [merge] = await tx
      .select({ accountId: accountMerges.accountUserId })
      .from(accountMerges)
      .where(eq(accountMerges.anonymousUserId, userId));
    return merge ? { kind: 'merged_into', accountId: merge.accountId } : { kind: 'visitor' };
  });
  if (own.kind !== 'merged_into') return own;
  const masked = await maskedEmailOf(store, own.accountId);
  return masked ? { kind: 'merged_guest', accountId: own.accountId, maskedAccountEmail: masked } : { kind: 'visitor' };
}

/**
 * Another user's email, masked: the one read of the request path that crosses users, so it runs
 * as the system, and the full address never leaves this function.
 */
async function maskedEmailOf(store: Store, accountId: string): Promise<string | undefined> {
  const [account] = await store.asSystem((tx) => tx.select({ email: users.email }).from(users).where(eq(users.id, accountId)));
  return account?.email ? maskEmail(account.email) : undefined;
}

const movedTo = (maskedEmail: string): Refusal => ({
  message:
    `Your guest chats and memories moved to ${maskedEmail} in another tab. ` +
    'No new account was created: sign in there to see them.',
  link: { href: '/sign-in', label: `Sign in as ${maskedEmail}` },
});

/** Why this session may not create an account, or undefined when it may. */
export function signUpRefusal(standing: SessionStanding): Refusal | undefined {
  if (standing.kind === 'merged_guest') return movedTo(standing.maskedAccountEmail);
  if (standing.kind !== 'account') return undefined;
  // Creating an account now would switch every tab of this browser to it, empty.
  const where = maskEmail(standing.email);
  return {
    message:
      (standing.holdsGuestData
        ? `Your guest chats and memories moved to ${where} in another tab, and this browser is signed in there now. `
        : `You're already signed in as ${where}. `) + 'No new account was created: to create another, sign out first.',
    link: { href: '/', label: 'Open your chats' },
  };
}

/** What the sign-in page says before anything is submitted, when the guest's data is known to be elsewhere. */
export function signInNotice(standing: SessionStanding): string | undefined {
  return standing.kind === 'merged_guest'
    ? `Your guest chats and memories moved to ${standing.maskedAccountEmail}. Sign in there to see them.`
    : undefined;
}

/** Moves the guest into the account; 'kept' when it could not (the guest then stays as it was). */
async function moveGuest(merge: MergeGuest, guestId: string, accountId: string): Promise<MergeResult | 'kept'> {
  try {
    const result = await merge(guestId, accountId);
    return result.status === 'incomplete' ? 'kept' : result;
  } catch (error) {
    console.error(`[merge] moving guest ${guestId} into ${accountId} failed: ${messageOf(error)}`);
    return 'kept';
  }
}

/**
 * Removes an account this request created a moment ago and never signed in to; it is kept if
 * anything was stored under it meanwhile (turns need a conversation, embeddings their fact or turn).
 */
async function removeUnusedAccount(store: Store, accountId: string): Promise<void> {
  await store.asUser(accountId, (tx) =>
    tx
      .delete(users)
      .where(
        and(
          eq(users.id, accountId),
          notExists(tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.userId, accountId))),
          notExists(tx.select({ id: userFacts.id }).from(userFacts).where(eq(userFacts.userId, accountId))),
          notExists(tx.select({ id: accountMerges.anonymousUserId }).from(accountMerges).where(eq(accountMerges.accountUserId, accountId))),
        ),
      ),
  );
}

export type SignUpOutcome =
  | { status: 'created'; user: User }
  /** Created, but the guest's data could not be moved yet: the guest is kept as it was. */
  | { status: 'created_guest_kept'; user: User }
  | { status: 'email_taken' }
  | { status: 'refused'; refusal: Refusal };

/** Creates an account for `email` (normalised) from this session, bringing its guest's data. */
export async function signUpFromSession(
  store: Store,
  merge: MergeGuest,
  identity: SessionIdentity | undefined,
  email: string,
  password: string,
): Promise<SignUpOutcome> {
  const standing = await standingOf(store, identity);
  const refusal = signUpRefusal(standing);
  if (refusal) return { status: 'refused', refusal };

  const created = await createAccount(store, email, password);
  if (!created.ok) return { status: 'email_taken' };
  const { user } = created;
  if (standing.kind !== 'guest') return { status: 'created', user };

  const moved = await moveGuest(merge, standing.guestId, user.id);
  if (moved === 'kept') return { status: 'created_guest_kept', user };
  if (moved.status !== 'already_merged') return { status: 'created', user };
  // Another tab moved the guest between the check above and this merge: this account would be
  // empty. Kept only if the account the guest went to is already gone again (nowhere to point).
  const now = await standingOf(store, identity);
  if (now.kind !== 'merged_guest') return { status: 'created', user };
  await removeUnusedAccount(store, user.id);
  return { status: 'refused', refusal: movedTo(now.maskedAccountEmail) };
}

export type SignInOutcome =
  | { status: 'proceed' }
  /** The guest's data could not be moved yet: stay the guest, so the next sign-in tries again. */
  | { status: 'guest_kept' }
  /** The guest's data is in another account: say so, and go ahead only when asked again. */
  | { status: 'confirm'; message: string; link?: Refusal['link'] };

const staysIn = (maskedGuestAccountEmail: string, accountEmail: string) => ({
  status: 'confirm' as const,
  message:
    `Your guest chats and memories moved to ${maskedGuestAccountEmail} in another tab, so they won't come to ${accountEmail}. ` +
    `Sign in as ${maskedGuestAccountEmail} to see them, or enter your password again to continue to ${accountEmail} without them.`,
});

/**
 * Whether this session may now be signed in to `account` (whose credentials were checked),
 * bringing its guest's data first. `confirmed`: the person already saw that the data stays behind.
 */
export async function signInFromSession(
  store: Store,
  merge: MergeGuest,
  identity: SessionIdentity | undefined,
  account: User,
  confirmed: boolean,
): Promise<SignInOutcome> {
  const standing = await standingOf(store, identity);
  const email = account.email!;
  switch (standing.kind) {
    case 'visitor':
      return { status: 'proceed' };
    case 'merged_guest':
      return standing.accountId === account.id || confirmed ? { status: 'proceed' } : staysIn(standing.maskedAccountEmail, email);
    case 'account':
      if (standing.accountId === account.id || !standing.holdsGuestData || confirmed) return { status: 'proceed' };
      return {
        status: 'confirm',
        message:
          `This browser is signed in as ${maskEmail(standing.email)}, which holds your guest chats and memories; they won't come to ${email}. ` +
          `Enter your password again to switch to ${email} anyway.`,
        link: { href: '/', label: `Stay signed in as ${maskEmail(standing.email)}` },
      };
    case 'guest': {
      const moved = await moveGuest(merge, standing.guestId, account.id);
      if (moved === 'kept') return { status: 'guest_kept' };
      if (moved.status !== 'already_merged' || moved.accountUserId === account.id || confirmed) return { status: 'proceed' };
      // Another tab moved the guest into another account just now.
      const now = await standingOf(store, identity);
      return now.kind === 'merged_guest' ? staysIn(now.maskedAccountEmail, email) : { status: 'proceed' };
    }
  }
}
