/**
 * The rate limits on the database, as the app role uses them: counts kept in rate_limits (so two
 * app instances share them), refusals with the time left, the sign-in lock and the device cookie
 * that gets its owner past it. Limits are set low by settings, as a deployment would.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '@/lib/auth/accounts';
import { selectRows } from '@/lib/db/rows';
import type { Store, UnitShape } from '@/lib/db/store';
import {
  createRateLimits,
  limitChatTurn,
  limitNewGuest,
  limitSignUp,
  SIGN_IN_WINDOW_SECONDS,
  signInClient,
  signInWithLimits,
  type RateLimits,
  type RateLimitSettings,
} from '@/lib/rate-limit';
import { DEVICE_COOKIE, withDeviceAccount } from '@/lib/rate-limit/device';
import { openTestStore, testEngine, type TestDatabase } from '../engines';

const settings: RateLimitSettings = {
  AUTH_SECRET: 'rate-limit-tests-secret-0123456789abcdef',
  TRUSTED_PROXY_HEADER: 'x-real-ip',
  RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR: 3,
  RATE_LIMIT_NEW_GUESTS_PER_HOUR: 5,
  RATE_LIMIT_CHAT_TURNS_PER_MINUTE: 4,
  RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY: 6,
  RATE_LIMIT_SIGN_UPS_PER_ADDRESS_PER_HOUR: 2,
  RATE_LIMIT_SIGN_UPS_PER_HOUR: 3,
  RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT: 3,
  RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS: 8,
};
const PASSWORD = 'correct horse battery staple';

describe(`rate limits (${testEngine})`, () => {
  let database: TestDatabase;
  /** Two app instances: each builds its own limiters on the app role's connections. */
  let one: RateLimits;
  let two: RateLimits;

  beforeAll(async () => {
    database = await openTestStore(testEngine);
    one = createRateLimits(database.store, settings);
    two = createRateLimits(database.store, settings);
  });
  afterAll(async () => {
    await database?.close();
  });

  const rowsFor = (prefix: string) =>
    selectRows<{ key: string; points: number; expire: string }>(database.db, sql`SELECT key, points, expire::text FROM rate_limits WHERE key LIKE ${`${prefix}%`}`);
  const request = (address?: string, device?: string) =>
    new Headers({ ...(address && { 'x-real-ip': address }), ...(device && { cookie: `${DEVICE_COOKIE}=${device}` }) });
  const newAccount = async () => {
    const email = `${randomUUID()}@example.com`;
    const created = await createAccount(database.store, email, PASSWORD);
    if (!created.ok) throw new Error('account not created');
    return { email, id: created.user.id };
  };

  it('counts chat turns per user in one row, across instances, and refuses past the allowance with the time left', async () => {
    const user = { id: randomUUID(), isAnonymous: false };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limitChatTurn(i % 2 ? one : two, user));
    expect(results.slice(0, 4).every((r) => r.ok)).toBe(true);
    const refused = results[4]!;
    if (refused.ok) throw new Error('expected a refusal');
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.message).toMatch(/^You're sending messages faster than Engram takes them \(4 a minute\)\. Send it again in \d+ seconds?\.$/);
    const [row] = await rowsFor(`turn:user:${user.id}`);
    expect(row!.points).toBe(5);
    // Milliseconds since the epoch, about a minute ahead: what the nightly job compares with.
    expect(Number(row!.expire) - Date.now()).toBeGreaterThan(55_000);
    // An account has no daily cap.
    expect(await rowsFor(`turn:guest-day:${user.id}`)).toEqual([]);
  });

  it('counts in system units of one statement each that do not wait for the disk', async () => {
    const shapes: (UnitShape | undefined)[] = [];
    const counting: Store = {
      ...database.store,
      asSystem: (work, shape) => {
        shapes.push(shape);
        return database.store.asSystem(work, shape);
      },
    };
    const guest = { id: randomUUID(), isAnonymous: true };
    expect(await limitChatTurn(createRateLimits(counting, settings), guest)).toEqual({ ok: true });
    // Per minute, then per day: a lost count gives a guest an event back, nothing more.
    expect(shapes).toEqual([
      { oneStatement: true, asynchronousCommit: true },
      { oneStatement: true, asynchronousCommit: true },
    ]);
    expect((await rowsFor(`turn:guest-day:${guest.id}`)).map((r) => r.points)).toEqual([1]);
  });

  it('gives guests a daily cap on top, and starts a new window once the old one has ended', async () => {
    const guest = { id: randomUUID(), isAnonymous: true };
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      outcomes.push((await limitChatTurn(one, guest)).ok);
      // Keeps the per-minute window open for the daily one to fill.
      await database.db.execute(sql`UPDATE rate_limits SET points = 0 WHERE key = ${`turn:user:${guest.id}`}`);
    }
    expect(outcomes).toEqual([true, true, true, true, true, true, false, false]);
    const refused = await limitChatTurn(one, guest);
    if (refused.ok) throw new Error('expected a refusal');
    expect(refused.message).toMatch(/^Guests can send 6 messages a day\. Create an account to keep going, or come back in (23|24) hours\.$/);
    expect(refused.retryAfterSeconds).toBeGreaterThan(23 * 3600);

    await database.db.execute(sql`UPDATE rate_limits SET expire = ${Date.now() - 1} WHERE key = ${`turn:guest-day:${guest.id}`}`);
    expect((await limitChatTurn(two, guest)).ok).toBe(true);
    const [row] = await rowsFor(`turn:guest-day:${guest.id}`);
    expect(row!.points).toBe(1);
  });

  it('limits new guests per address and app-wide; an unknown address meets only the app-wide limit', async () => {
    await database.db.execute(sql`DELETE FROM rate_limits WHERE key LIKE 'guest:%'`);
    const a = '203.0.113.10';
    const fromA = [];
    for (let i = 0; i < 4; i++) fromA.push((await limitNewGuest(i % 2 ? one : two, a)).ok);
    expect(fromA).toEqual([true, true, true, false]);
    const refused = await limitNewGuest(one, a);
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/^Too many guest sessions were started from your network\. Try again in (59|60) minutes, or sign in\.$/) });

    // Three went through app-wide; two more from elsewhere fill it, then everyone is refused.
    expect((await limitNewGuest(one, undefined)).ok).toBe(true);
    expect((await limitNewGuest(one, '198.51.100.20')).ok).toBe(true);
    const full = await limitNewGuest(two, undefined);
    expect(full).toMatchObject({ ok: false, message: expect.stringMatching(/^Engram is not starting new guest sessions for the moment/) });
    expect((await limitNewGuest(two, '198.51.100.21')).ok).toBe(false);
  });

  it('limits sign-ups per address and app-wide', async () => {
    const outcomes = [];
    for (const address of ['192.0.2.1', '192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      const result = await limitSignUp(one, address);
      outcomes.push(result.ok ? 'ok' : result.message.split(' in ')[0]);
    }
    expect(outcomes).toEqual(['ok', 'ok', 'Too many accounts were created from your network. Try again', 'ok', 'Engram is not creating new accounts for the moment. Try again']);
  });

  it('locks an account after its failed sign-ins, whichever address they come from, without checking the password', async () => {
    const { email } = await newAccount();
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await signInWithLimits(one, database.store, { email, password: 'wrong password' }, signInClient(one, request(`198.51.100.${i}`)));
      outcomes.push(outcome.status);
    }
    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 'refused']);

    // The right password, from another instance and address: refused while the lock lasts, fast (no hash).
    const started = performance.now();
    const right = await signInWithLimits(two, database.store, { email, password: PASSWORD }, signInClient(two, request('192.0.2.99')));
    const elapsed = performance.now() - started;
    if (right.status !== 'refused') throw new Error(`expected a refusal, got ${right.status}`);
    expect(right.refusal.retryAfterSeconds).toBeLessThanOrEqual(SIGN_IN_WINDOW_SECONDS);
    expect(right.refusal.message).toMatch(/^Too many failed sign-ins to this account\. Try again in (14|15) minutes, or from a browser you have signed in to it with before\.$/);
    expect(elapsed).toBeLessThan(500);
  });

  it('lets the owner past the lock from a browser holding a device cookie for that account, and no one else', async () => {
    const owner = await newAccount();
    const other = await newAccount();
    for (let i = 0; i < 3; i++) await signInWithLimits(one, database.store, { email: owner.email, password: 'guess' }, signInClient(one, request()));

    const ownDevice = withDeviceAccount(withDeviceAccount(undefined, settings.AUTH_SECRET, other.id), settings.AUTH_SECRET, owner.id);
    const forged = withDeviceAccount(undefined, 'another-secret-another-secret-0123456789', owner.id);
    const otherDevice = withDeviceAccount(undefined, settings.AUTH_SECRET, other.id);
    const attempt = (password: string, device?: string) =>
      signInWithLimits(two, database.store, { email: owner.email, password }, signInClient(two, request(undefined, device)));

    expect((await attempt(PASSWORD, forged)).status).toBe('refused');
    expect((await attempt(PASSWORD, otherDevice)).status).toBe('refused');
    const signedIn = await attempt(PASSWORD, ownDevice);
    expect(signedIn.status).toBe('signed_in');
    expect(signedIn.status === 'signed_in' && signedIn.user.id).toBe(owner.id);

    // The owner's browser has an allowance of its own: a stolen cookie buys a few guesses, not many.
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await attempt('guess', ownDevice)).status);
    expect(guesses).toEqual(['wrong', 'wrong', 'wrong', 'refused']);
  });

  it('refuses parallel attempts on a locked account; successful sign-ins are not counted as failures', async () => {
    const { email } = await newAccount();
    // Many successes in a row lock nothing.
    for (let i = 0; i < 5; i++) {
      expect((await signInWithLimits(one, database.store, { email, password: PASSWORD }, signInClient(one, request('192.0.2.50')))).status).toBe('signed_in');
    }
    const parallel = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        signInWithLimits(i % 2 ? one : two, database.store, { email, password: `guess ${i}` }, signInClient(one, request(`192.0.2.${60 + i}`))),
      ),
    );
    // Each attempt takes its event before the password is checked: no more than 3 are checked.
    expect(parallel.filter((o) => o.status === 'wrong')).toHaveLength(3);
    expect(parallel.filter((o) => o.status === 'refused')).toHaveLength(5);
  });

  it('locks an unknown email like a real one, and limits failures per address across accounts', async () => {
    const unknown = `${randomUUID()}@example.com`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await signInWithLimits(one, database.store, { email: unknown, password: 'x' }, signInClient(one, request()))).status);
    expect(statuses).toEqual(['wrong', 'wrong', 'wrong', 'refused']);

    const address = '203.0.113.77';
    const perAddress = [];
    for (let i = 0; i < 9; i++) {
      const outcome = await signInWithLimits(one, database.store, { email: `${randomUUID()}@example.com`, password: 'x' }, signInClient(one, request(address)));
      perAddress.push(outcome.status === 'refused' ? outcome.refusal.message.split(' in ')[0] : outcome.status);
    }
    expect(perAddress).toEqual([...Array<string>(8).fill('wrong'), 'Too many failed sign-ins from your network. Try again']);
    // The account's own key is the email's hash: no address book in rate_limits.
    expect((await rowsFor('sign-in:account:')).some((row) => row.key.includes('@'))).toBe(false);
  });

  it('runs as the app role with no table of its own to create, and leaves expired windows for the nightly sweep', async () => {
    const [{ tables }] = (await selectRows<{ tables: number }>(database.app, sql`SELECT count(*)::int AS tables FROM pg_tables WHERE tablename LIKE 'rate%'`)) as [{ tables: number }];
    expect(tables).toBe(1);
    const user = { id: randomUUID(), isAnonymous: false };
    await limitChatTurn(one, user);
    await database.db.execute(sql`UPDATE rate_limits SET expire = ${Date.now() - 1000} WHERE key = ${`turn:user:${user.id}`}`);
    // What the nightly job runs; the app role may run it too.
    const swept = await database.app.execute(sql`DELETE FROM rate_limits WHERE expire < ${Date.now()} RETURNING key`);
    expect((swept as unknown as { rows: { key: string }[] }).rows.map((r) => r.key)).toContain(`turn:user:${user.id}`);
  });
});
