/**
 * One guest, two tabs: both on sign-up (or one on sign-in), sharing the guest's cookie. The first
 * to submit takes the guest's chats and memories; the second is told where they went, and is
 * never signed in to a new, empty account. The second tab's request carries either the guest's
 * old cookie (it was sent before the first tab's response replaced it) or the account's.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createAccount } from '@/lib/auth/accounts';
import {
  maskEmail,
  signInFromSession,
  signUpFromSession,
  type MergeGuest,
  type SessionIdentity,
} from '@/lib/auth/guest-data';
import { selectRows } from '@/lib/db/rows';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { users, type User } from '@/lib/db/schema';
import { mergeGuestIntoAccount } from '@/lib/memory/merge';
import { defaultWriteFactsOptions, writeFacts } from '@/lib/memory/write-facts';
import { scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

const embedder = scriptedEmbedder();
const password = 'a long and unusual passphrase';
const email = (name: string) => `${name}-${Math.random().toString(36).slice(2, 10)}@example.com`;
const asGuest = (userId: string): SessionIdentity => ({ userId, isAnonymous: true });
const asAccount = (userId: string): SessionIdentity => ({ userId, isAnonymous: false });

describe('masked emails', () => {
  it('keep the first letter and the domain', () => {
    expect(maskEmail('ada@example.com')).toBe('a…@example.com');
    expect(maskEmail('b@example.org')).toBe('b…@example.org');
  });
});

describeOnEngine('two tabs, one guest', (db, engine, store) => {
  const merge: MergeGuest = (guestId, accountId) =>
    mergeGuestIntoAccount(store(), guestId, accountId, { model: embedder.model, ...defaultWriteFactsOptions });
  const signUp = (identity: SessionIdentity | undefined, address: string, mergeWith = merge) =>
    signUpFromSession(store(), mergeWith, identity, address, password);
  const signIn = (identity: SessionIdentity | undefined, account: User, confirmed = false, mergeWith = merge) =>
    signInFromSession(store(), mergeWith, identity, account, confirmed);

  /** A guest who said one thing and taught Engram a fact. */
  async function guestWithChat() {
    const id = (await createAnonymousUser(db())).id;
    const conversation = await createConversation(db(), id, 'Guest chat');
    const turn = await appendTurn(db(), id, { conversationId: conversation.id, role: 'user', content: "I'm allergic to peanuts." });
    await writeFacts(store(), embedder, {
      userId: id,
      sourceConversationId: conversation.id,
      sourceTurnId: turn!.id,
      candidates: [{ factType: 'personal_context', factText: 'Is allergic to peanuts', confidence: 0.9, supersedes: [] }],
    });
    return id;
  }

  async function account(address = email('carol')) {
    const created = await createAccount(store(), address, password);
    if (!created.ok) throw new Error(created.error);
    return created.user;
  }

  const rowsOf = async (userId: string) => {
    const [row] = await selectRows<Record<string, number>>(
      db(),
      sql`SELECT (SELECT count(*)::int FROM conversations WHERE user_id = ${userId}) AS conversations,
                 (SELECT count(*)::int FROM conversation_turns WHERE user_id = ${userId}) AS turns,
                 (SELECT count(*)::int FROM user_facts WHERE user_id = ${userId}) AS facts`,
    );
    return row!;
  };
  const guestRows = { conversations: 1, turns: 1, facts: 1 };
  const noRows = { conversations: 0, turns: 0, facts: 0 };
  const userWith = async (address: string) => (await db().select().from(users).where(eq(users.email, address)))[0];

  const movedMessage = (address: string) =>
    `Your guest chats and memories moved to ${maskEmail(address)} in another tab. No new account was created: sign in there to see them.`;

  /** The first tab's sign-up, which takes the guest's data. */
  async function firstTabSignsUp(guest: string, address: string) {
    const outcome = await signUp(asGuest(guest), address);
    if (outcome.status !== 'created') throw new Error(`first sign-up: ${outcome.status}`);
    expect(await rowsOf(outcome.user.id)).toEqual(guestRows);
    return outcome.user;
  }

  it('a second sign-up with the guest’s old cookie creates no account and says where the data went', async () => {
    const guest = await guestWithChat();
    const [ada, bob] = [email('ada'), email('bob')];
    const first = await firstTabSignsUp(guest, ada);

    expect(await signUp(asGuest(guest), bob)).toEqual({
      status: 'refused',
      refusal: { message: movedMessage(ada), link: { href: '/sign-in', label: `Sign in as ${maskEmail(ada)}` } },
    });
    expect(movedMessage(ada)).toContain('a…@example.com');
    expect(await userWith(bob)).toBeUndefined();
    expect(await rowsOf(first.id)).toEqual(guestRows);
  });

  it('a second sign-up with the cookie the first tab set (the account’s) creates no account either', async () => {
    const guest = await guestWithChat();
    const [ada, bob] = [email('ada'), email('bob')];
    const first = await firstTabSignsUp(guest, ada);

    expect(await signUp(asAccount(first.id), bob)).toEqual({
      status: 'refused',
      refusal: {
        message:
          `Your guest chats and memories moved to ${maskEmail(ada)} in another tab, and this browser is signed in there now. ` +
          'No new account was created: to create another, sign out first.',
        link: { href: '/', label: 'Open your chats' },
      },
    });
    expect(await userWith(bob)).toBeUndefined();
    expect(await rowsOf(first.id)).toEqual(guestRows);
  });

  it('an account that never held a guest’s data is told it is signed in already', async () => {
    const signedIn = await account();
    const outcome = await signUp(asAccount(signedIn.id), email('dan'));
    expect(outcome).toMatchObject({
      status: 'refused',
      refusal: { message: `You're already signed in as ${maskEmail(signedIn.email!)}. No new account was created: to create another, sign out first.` },
    });
  });

  it('two sign-ups at once: one account gets all the guest’s data, the other is never created', async () => {
    const guest = await guestWithChat();
    const [ada, bob] = [email('ada'), email('bob')];
    const outcomes = await Promise.all([signUp(asGuest(guest), ada), signUp(asGuest(guest), bob)]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['created', 'refused']);
    const created = outcomes.find((o) => o.status === 'created')!;
    const refused = outcomes.find((o) => o.status === 'refused')!;
    const [winner, loser] = created.user.email === ada ? [ada, bob] : [bob, ada];
    expect(refused.refusal.message).toBe(movedMessage(winner));
    expect(await rowsOf(created.user.id)).toEqual(guestRows);
    expect(await userWith(loser)).toBeUndefined();
    expect(await rowsOf(guest)).toEqual(noRows);
  });

  it('when the other tab’s merge lands between the check and this one’s, the new empty account is removed', async () => {
    const guest = await guestWithChat();
    const ada = await account(email('ada'));
    const bob = email('bob');
    // The first tab's merge runs just before this tab's.
    const otherTabFirst: MergeGuest = async (guestId, accountId) => {
      await merge(guestId, ada.id);
      return merge(guestId, accountId);
    };
    expect(await signUp(asGuest(guest), bob, otherTabFirst)).toMatchObject({ status: 'refused', refusal: { message: movedMessage(ada.email!) } });
    expect(await userWith(bob)).toBeUndefined();
    expect(await rowsOf(ada.id)).toEqual(guestRows);
  });

  it('never removes a new account that something was stored under meanwhile', async () => {
    const guest = await guestWithChat();
    const otherGuest = await guestWithChat();
    const ada = await account(email('ada'));
    const bob = email('bob');
    const otherTabsMeanwhile: MergeGuest = async (guestId, accountId) => {
      await merge(otherGuest, accountId);
      await merge(guestId, ada.id);
      return merge(guestId, accountId);
    };
    expect(await signUp(asGuest(guest), bob, otherTabsMeanwhile)).toMatchObject({ status: 'refused' });
    const kept = await userWith(bob);
    expect(await rowsOf(kept!.id)).toEqual(guestRows);
  });

  it('signing in elsewhere after the merge warns that the data stays behind, and goes ahead when asked again', async () => {
    const guest = await guestWithChat();
    const ada = email('ada');
    const first = await firstTabSignsUp(guest, ada);
    const carol = await account();

    expect(await signIn(asGuest(guest), carol)).toEqual({
      status: 'confirm',
      message:
        `Your guest chats and memories moved to ${maskEmail(ada)} in another tab, so they won't come to ${carol.email}. ` +
        `Sign in as ${maskEmail(ada)} to see them, or enter your password again to continue to ${carol.email} without them.`,
    });
    expect(await signIn(asGuest(guest), carol, true)).toEqual({ status: 'proceed' });
    // Signing in where the data went needs no warning.
    expect(await signIn(asGuest(guest), first)).toEqual({ status: 'proceed' });
    expect(await rowsOf(carol.id)).toEqual(noRows);
    expect(await rowsOf(first.id)).toEqual(guestRows);
  });

  it('signing in elsewhere from the tab now signed in to the account with the guest’s data warns too', async () => {
    const guest = await guestWithChat();
    const ada = email('ada');
    const first = await firstTabSignsUp(guest, ada);
    const carol = await account();

    expect(await signIn(asAccount(first.id), carol)).toEqual({
      status: 'confirm',
      message:
        `This browser is signed in as ${maskEmail(ada)}, which holds your guest chats and memories; they won't come to ${carol.email}. ` +
        `Enter your password again to switch to ${carol.email} anyway.`,
      link: { href: '/', label: `Stay signed in as ${maskEmail(ada)}` },
    });
    expect(await signIn(asAccount(first.id), carol, true)).toEqual({ status: 'proceed' });
    expect(await signIn(asAccount(first.id), first)).toEqual({ status: 'proceed' });
    // An account that holds no guest's data switches without a word, as before.
    expect(await signIn(asAccount(carol.id), first)).toEqual({ status: 'proceed' });
  });

  it('a guest’s sign-in racing another tab’s sign-up is warned, not moved into an empty account', async () => {
    const guest = await guestWithChat();
    const ada = await account(email('ada'));
    const carol = await account();
    const otherTabFirst: MergeGuest = async (guestId, accountId) => {
      await merge(guestId, ada.id);
      return merge(guestId, accountId);
    };
    expect(await signIn(asGuest(guest), carol, false, otherTabFirst)).toMatchObject({
      status: 'confirm',
      message: expect.stringContaining(`moved to ${maskEmail(ada.email!)} in another tab, so they won't come to ${carol.email}`),
    });
    expect(await rowsOf(carol.id)).toEqual(noRows);
  });

  it('one tab, as before: a guest signs up or in with its data, a visitor with none', async () => {
    const guest = await guestWithChat();
    const created = await signUp(asGuest(guest), email('ada'));
    expect(created).toMatchObject({ status: 'created' });
    expect(await rowsOf(created.status === 'created' ? created.user.id : '')).toEqual(guestRows);

    const secondGuest = await guestWithChat();
    const carol = await account();
    expect(await signIn(asGuest(secondGuest), carol)).toEqual({ status: 'proceed' });
    expect(await rowsOf(carol.id)).toEqual(guestRows);

    expect(await signUp(undefined, email('eve'))).toMatchObject({ status: 'created' });
    expect(await signIn(undefined, carol)).toEqual({ status: 'proceed' });
    // A cookie whose user is gone (a deleted guest) is a visitor's.
    expect(await signUp(asGuest('00000000-0000-4000-8000-000000000000'), email('fay'))).toMatchObject({ status: 'created' });
  });

  it('a guest whose data could not be moved keeps it, and keeps its session', async () => {
    const guest = await guestWithChat();
    const incomplete: MergeGuest = async () => ({ status: 'incomplete', rowsLeft: { conversations: 1 } });
    expect(await signUp(asGuest(guest), email('ada'), incomplete)).toMatchObject({ status: 'created_guest_kept' });

    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const failing: MergeGuest = async () => {
        throw new Error('connection lost');
      };
      expect(await signIn(asGuest(guest), await account(), false, failing)).toEqual({ status: 'guest_kept' });
      expect(logged).toHaveBeenCalledWith(expect.stringMatching(/moving guest .* failed: connection lost/));
    } finally {
      logged.mockRestore();
    }
    expect(await rowsOf(guest)).toEqual(guestRows);
  });
});
