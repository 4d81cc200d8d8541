/**
 * Sessions that end: a session carries the user's session_version from when it was issued, and is
 * compared in the request's own unit of work (the read of the user row it makes anyway). Ending a
 * user's sessions moves the version on; every session issued before then reads as no user.
 */
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { createAccount } from '@/lib/auth/accounts';
import { currentSessionUser, endSessions, isStaleSession, sessionVersionOf, type SessionClaims } from '@/lib/auth/session-version';
import { createAnonymousUser } from '@/lib/db/queries';
import { users } from '@/lib/db/schema';
import { deleteAccount } from '@/lib/db/user-data';
import { describeOnEngine } from '../engines';

describeOnEngine('sessions that end', (db, _engine, store) => {
  async function account() {
    const created = await createAccount(store(), `ada-${Math.random().toString(36).slice(2)}@example.com`, 'a long and unusual passphrase');
    if (!created.ok) throw new Error('account not created');
    return created.user.id;
  }
  /** A session issued now, as the jwt callback issues it: the version read in the user's own unit. */
  async function issue(userId: string, isAnonymous = false): Promise<SessionClaims> {
    const sessionVersion = await store().readAsUser(userId, (tx) => sessionVersionOf(tx, userId));
    if (sessionVersion === undefined) throw new Error('no such user');
    return { userId, isAnonymous, sessionVersion };
  }
  /** The request's unit of work, as lib/auth/session.ts runs it. */
  const sessionUser = (claims: SessionClaims) => store().readAsUser(claims.userId, (tx) => currentSessionUser(tx, claims));

  it('reads a current session as its user, and an ended one as no user', async () => {
    const id = await account();
    const kept = await issue(id);
    expect((await sessionUser(kept))?.id).toBe(id);
    expect(await store().readAsUser(id, (tx) => isStaleSession(tx, kept))).toBe(false);

    // Signing out: the session that signs out ends, and with it the copy kept elsewhere.
    expect(await store().asUser(id, (tx) => endSessions(tx, id, kept.sessionVersion))).toBe(true);
    expect(await sessionUser(kept)).toBeUndefined();
    expect(await store().readAsUser(id, (tx) => isStaleSession(tx, kept))).toBe(true);

    // Signing in again issues a session of the new version.
    const next = await issue(id);
    expect(next.sessionVersion).toBe(kept.sessionVersion + 1);
    expect((await sessionUser(next))?.id).toBe(id);
  });

  it('lets an ended session end nothing more, while "sign out everywhere" always ends them all', async () => {
    const id = await account();
    const ended = await issue(id);
    await store().asUser(id, (tx) => endSessions(tx, id, ended.sessionVersion));
    const current = await issue(id);

    // A copied cookie of an ended session signing out cannot sign the person out again.
    expect(await store().asUser(id, (tx) => endSessions(tx, id, ended.sessionVersion))).toBe(false);
    expect((await sessionUser(current))?.id).toBe(id);

    expect(await store().asUser(id, (tx) => endSessions(tx, id))).toBe(true);
    expect(await sessionUser(current)).toBeUndefined();
    const [row] = await db().select({ version: users.sessionVersion }).from(users).where(eq(users.id, id));
    expect(row?.version).toBe(2);
  });

  it("ends one user's sessions only", async () => {
    const [mine, theirs] = [await account(), await createAnonymousUser(db()).then((u) => u.id)];
    const [mySession, theirSession] = [await issue(mine), await issue(theirs, true)];
    await store().asUser(mine, (tx) => endSessions(tx, mine));
    expect(await sessionUser(mySession)).toBeUndefined();
    expect((await sessionUser(theirSession))?.id).toBe(theirs);
  });

  it("reads a deleted account's session as no user, and not as ended (the merged-guest path tells them apart)", async () => {
    const id = await account();
    const session = await issue(id);
    await store().asUser(id, (tx) => deleteAccount(tx, id));
    expect(await sessionUser(session)).toBeUndefined();
    expect(await store().readAsUser(id, (tx) => isStaleSession(tx, session))).toBe(false);
  });
});
