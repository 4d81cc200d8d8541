/**
 * Sessions that end, attacked over HTTP on the production build as the plain app role: a copy of
 * a session cookie kept before sign-out reads nothing and writes nothing afterwards, and it cannot
 * end the session its owner signed in with next.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '@/lib/auth/passwords';
import { freshDatabase, guestCookie, postChat, query, startApp, startFakeVendorServer, type App, type FakeVendorServer } from '../helpers/app-server';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_security_sessions');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const password = 'a long and unusual passphrase';

/** An account, made in the database directly: the sign-up form is a server action, awkward over plain HTTP. */
async function account(): Promise<{ id: string; email: string }> {
  const email = `ada-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const [row] = await query<{ id: string }>(
    adminUrl,
    'INSERT INTO users (email, password_hash, is_anonymous) VALUES ($1, $2, false) RETURNING id',
    [email, await hashPassword(password)],
  );
  return { id: row!.id, email };
}

/** Auth.js's CSRF token, and its cookie joined to `cookie`, as a browser sends both to a POST. */
async function csrf(cookie?: string): Promise<{ csrfToken: string; cookie: string }> {
  const response = await fetch(`${app.url}/api/auth/csrf`, { headers: cookie ? { cookie } : {} });
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const set = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { csrfToken, cookie: [cookie, ...set].filter(Boolean).join('; ') };
}

const form = (cookie: string, fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: app.url },
  body: new URLSearchParams(fields),
});

/** Signs in through Auth.js's own endpoint for the password provider (lib/auth/index.ts). */
async function signIn(email: string): Promise<string> {
  const { csrfToken, cookie } = await csrf();
  const response = await fetch(`${app.url}/api/auth/callback/password`, form(cookie, { csrfToken, email, password }));
  const token = response.headers.getSetCookie().find((c) => c.includes('session-token='));
  if (!token) throw new Error(`sign-in failed: ${response.status}`);
  return token.split(';')[0]!;
}

/** Signs out through Auth.js's endpoint, as the sign-out button's action does; answers whether the cookie was cleared. */
async function signOut(session: string): Promise<boolean> {
  const { csrfToken, cookie } = await csrf(session);
  const response = await fetch(`${app.url}/api/auth/signout`, form(cookie, { csrfToken }));
  expect(response.status).toBe(302);
  return response.headers.getSetCookie().some((c) => c.includes('session-token=;'));
}

const get = (cookie: string, path: string) => fetch(`${app.url}${path}`, { headers: { cookie }, redirect: 'manual' });
const version = async (id: string) => (await query<{ v: number }>(adminUrl, 'SELECT session_version AS v FROM users WHERE id = $1', [id]))[0]!.v;
const userCount = async () => (await query<{ n: number }>(adminUrl, 'SELECT count(*)::int AS n FROM users'))[0]!.n;

it('a cookie kept from before sign-out reads and writes nothing', async () => {
  const { id, email } = await account();
  const session = await signIn(email);
  const copy = session;
  const before = await get(session, '/api/account/export');
  expect(before.status).toBe(200);
  expect(await before.text()).toContain(email);
  expect(await (await get(session, '/settings/memory')).text()).toContain('data-testid="sign-out-everywhere"');

  expect(await signOut(session)).toBe(true);
  expect(await version(id)).toBe(1);

  const exported = await get(copy, '/api/account/export');
  expect(exported.status).toBe(401);
  expect(await exported.text()).not.toContain(email);
  const users = await userCount();
  const chat = await postChat(app.url, copy, { message: 'I live in Lyon.' });
  expect(chat.status).toBe(401);
  // Nothing was written: no guest made for it, no conversation under the account.
  expect(await userCount()).toBe(users);
  expect(await query(adminUrl, 'SELECT id FROM conversations WHERE user_id = $1', [id])).toEqual([]);
  // Pages treat it as a visitor, never as an error.
  const page = await get(copy, '/settings/memory');
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Nothing yet');
  expect(html).not.toContain(email);
});

it('an ended cookie cannot sign its owner out of the session that came after', async () => {
  const { id, email } = await account();
  const stolen = await signIn(email);
  await signOut(stolen);
  const current = await signIn(email);
  // The thief "signs out" with the old cookie: its version is no longer the row's, so nothing moves.
  await signOut(stolen);
  expect(await version(id)).toBe(1);
  expect((await get(current, '/api/account/export')).status).toBe(200);
});

it("a guest's signed-out cookie no longer reaches the guest's chats", async () => {
  const guest = await guestCookie(app.url);
  const sent = await postChat(app.url, guest, { message: 'My secret is that I live in Lyon.' });
  expect(sent.status).toBe(200);
  // The guest is told how long it is kept (GUEST_TTL_DAYS, 30 by default), in the sidebar and on the memory page.
  for (const path of ['/', '/settings/memory']) {
    expect(await (await get(guest, path)).text()).toContain('As a guest, what you tell Engram is kept for 30 days after your last chat.');
  }
  await signOut(guest);
  const exported = await get(guest, '/api/account/export');
  expect(exported.status).toBe(401);
  expect(await exported.text()).not.toContain('Lyon');
  expect((await postChat(app.url, guest, { message: 'still me?' })).status).toBe(401);
});
