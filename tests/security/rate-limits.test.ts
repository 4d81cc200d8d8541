/**
 * The rate limits attacked over HTTP on the production build, as the plain app role: guessing a
 * password on Auth.js's own callback, rotating X-Forwarded-For, parallel guesses on a locked
 * account, the owner's way past the lock, guests created without end, sign-ups by the dozen.
 * The app trusts x-real-ip (TRUSTED_PROXY_HEADER), which the test sets as a proxy would; limits
 * are lowered by settings only.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, postChat, query, startApp, startFakeVendorServer, type App, type FakeVendorServer } from '../helpers/app-server';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

const PASSWORD = 'a long and unguessable password';
const NEW_GUESTS_PER_ADDRESS = 3;
const NEW_GUESTS_APP_WIDE = 8;
const CHAT_TURNS_PER_MINUTE = 3;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_security_limits');
  adminUrl = db.adminUrl;
  // Failed sign-ins (10 per account, 50 per address) and sign-ups (5 per address) at their defaults.
  app = await startApp(db.appUrl, fake, {
    TRUSTED_PROXY_HEADER: 'x-real-ip',
    RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR: String(NEW_GUESTS_PER_ADDRESS),
    RATE_LIMIT_NEW_GUESTS_PER_HOUR: String(NEW_GUESTS_APP_WIDE),
    RATE_LIMIT_CHAT_TURNS_PER_MINUTE: String(CHAT_TURNS_PER_MINUTE),
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

let nextAddress = 1;
/** A client address of its own, as the proxy would report it. */
const someAddress = () => `198.51.100.${nextAddress++}`;

const cookiesOf = (response: Response) => response.headers.getSetCookie().map((c) => c.split(';')[0]!);
const hasCookie = (response: Response, name: string) => cookiesOf(response).some((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);

/** Auth.js's CSRF token and its cookie, as a browser holds them before signing in. */
async function csrf(): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${app.url}/api/auth/csrf`);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { token: csrfToken, cookie: cookiesOf(response).join('; ') };
}

/** POST /api/auth/callback/<provider> straight to Auth.js, as a script would. */
async function callback(provider: 'password' | 'guest', fields: Record<string, string>, headers: Record<string, string> = {}, cookie = '') {
  const { token, cookie: csrfCookie } = await csrf();
  return fetch(`${app.url}/api/auth/callback/${provider}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url, cookie: [csrfCookie, cookie].filter(Boolean).join('; '), ...headers },
    body: new URLSearchParams({ csrfToken: token, ...fields }),
  });
}

const manifest = () =>
  JSON.parse(readFileSync(`${process.env.NEXT_DIST_DIR || '.next'}/server/server-reference-manifest.json`, 'utf8')) as {
    node: Record<string, { exportedName?: string }>;
  };

/** A server action called as the page calls it; `form`: the fields of its form (useActionState's second argument). */
async function action(path: string, name: string, headers: Record<string, string>, form?: Record<string, string>) {
  const id = Object.entries(manifest().node).find(([, entry]) => entry.exportedName === name)?.[0];
  if (!id) throw new Error(`no server action ${name} in the build`);
  let body: FormData | string = '[]';
  if (form) {
    // React's encoding of (previousState, formData): the form's fields under the prefix _1_, then
    // the arguments (the server reads them as they stream in: fields after them would be missed).
    body = new FormData();
    for (const [key, value] of Object.entries(form)) body.append(`_1_${key}`, value);
    body.append('0', JSON.stringify([{ errors: {}, email: '' }, '$K1']));
  }
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'next-action': id, accept: 'text/x-component', origin: app.url, ...(form ? {} : { 'content-type': 'text/plain;charset=UTF-8' }), ...headers },
    body,
  });
}

async function signUp(email: string, address = someAddress()) {
  const response = await action('/sign-up', 'signUpAction', { 'x-real-ip': address }, { email, password: PASSWORD });
  if (!hasCookie(response, 'authjs.session-token')) throw new Error(`sign-up failed (${response.status}): ${await response.text()}`);
  return response;
}

const wrongPassword = (email: string, headers: Record<string, string> = {}) => callback('password', { email, password: 'not the password' }, headers);

async function expectTooManyRequests(response: Response, message: RegExp) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  const body = (await response.json()) as { error: string; retryAfterSeconds: number };
  expect(body.error).toMatch(message);
  expect(body.retryAfterSeconds).toBe(retryAfter);
  return retryAfter;
}

const LOCKED = /^Too many failed sign-ins to this account\. Try again in \d+ minutes?, or from a browser you have signed in to it with before\.$/;

it("refuses the 11th and 12th wrong password on Auth.js's own callback with 429, then the right one too, with no session", async () => {
  const email = 'guessed@example.com';
  await signUp(email);
  const address = someAddress();
  const statuses: number[] = [];
  let lastRefusal: Response | undefined;
  for (let i = 0; i < 12; i++) {
    const response = await wrongPassword(email, { 'x-real-ip': address });
    statuses.push(response.status);
    if (response.status === 429) lastRefusal = response;
    else expect(response.headers.get('location')).toContain('error=CredentialsSignin');
  }
  expect(statuses).toEqual([...Array<number>(10).fill(302), 429, 429]);
  const retryAfter = await expectTooManyRequests(lastRefusal!, LOCKED);
  expect(retryAfter).toBeLessThanOrEqual(15 * 60);

  const right = await callback('password', { email, password: PASSWORD }, { 'x-real-ip': someAddress() });
  await expectTooManyRequests(right, LOCKED);
  expect(hasCookie(right, 'authjs.session-token')).toBe(false);
});

it('gains nothing from rotating X-Forwarded-For: the account still locks after 10', async () => {
  const email = 'rotated@example.com';
  await signUp(email);
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    // No trusted header at all (a client reaching the app directly), and a new forwarded address each time.
    statuses.push((await wrongPassword(email, { 'x-forwarded-for': `203.0.113.${i + 1}` })).status);
  }
  expect(statuses).toEqual([...Array<number>(10).fill(302), 429, 429]);
  const right = await callback('password', { email, password: PASSWORD }, { 'x-forwarded-for': '192.0.2.200' });
  expect(right.status).toBe(429);
});

it('refuses 8 parallel tries on a locked account, each fast and without a session', async () => {
  const email = 'parallel@example.com';
  await signUp(email);
  for (let i = 0; i < 10; i++) await wrongPassword(email);
  const started = performance.now();
  const tries = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const sent = performance.now();
      const response = await callback('password', { email, password: i === 7 ? PASSWORD : `guess ${i}` }, { 'x-real-ip': someAddress() });
      return { status: response.status, ms: performance.now() - sent, session: hasCookie(response, 'authjs.session-token') };
    }),
  );
  const total = performance.now() - started;
  console.log(`8 parallel tries on a locked account: ${total.toFixed(0)} ms in all, slowest ${Math.max(...tries.map((t) => t.ms)).toFixed(0)} ms`);
  expect(tries.map((t) => t.status)).toEqual(Array<number>(8).fill(429));
  expect(tries.some((t) => t.session)).toBe(false);
  // A wrong password costs an argon2 hash (~100 ms here); a refusal costs one UPSERT and no sleep.
  expect(total).toBeLessThan(3000);
});

it('lets the owner in while locked, from the browser holding the device cookie of an earlier sign-in, on both paths', async () => {
  const email = 'owner@example.com';
  await signUp(email);
  // The owner signs in from their browser: it keeps the device cookie.
  const earlier = await callback('password', { email, password: PASSWORD }, { 'x-real-ip': someAddress() });
  expect(earlier.status).toBe(302);
  const device = cookiesOf(earlier).find((c) => c.startsWith('engram-device='));
  expect(device).toBeDefined();
  expect(earlier.headers.getSetCookie().find((c) => c.startsWith('engram-device='))).toMatch(/HttpOnly/i);

  // Someone else locks the account.
  for (let i = 0; i < 11; i++) await wrongPassword(email, { 'x-real-ip': someAddress() });
  await expectTooManyRequests(await callback('password', { email, password: PASSWORD }, { 'x-real-ip': someAddress() }), LOCKED);
  // A forged device cookie is no way in.
  const forged = device!.replace(/\.[^.~]+$/, `.${'A'.repeat(43)}`);
  expect((await callback('password', { email, password: PASSWORD }, { 'x-real-ip': someAddress() }, forged)).status).toBe(429);

  // The owner's browser: straight to Auth.js, and through the sign-in page.
  const owner = await callback('password', { email, password: PASSWORD }, { 'x-real-ip': someAddress() }, device);
  expect(owner.status).toBe(302);
  expect(hasCookie(owner, 'authjs.session-token')).toBe(true);
  const page = await action('/sign-in', 'signInAction', { 'x-real-ip': someAddress(), cookie: device! }, { email, password: PASSWORD });
  expect(hasCookie(page, 'authjs.session-token')).toBe(true);

  // The sign-in page, without the cookie, says what to do.
  const stranger = await action('/sign-in', 'signInAction', { 'x-real-ip': someAddress() }, { email, password: PASSWORD });
  expect(hasCookie(stranger, 'authjs.session-token')).toBe(false);
  expect(await stranger.text()).toMatch(/Too many failed sign-ins to this account\. Try again in \d+ minutes?, or from a browser you have signed in to it with before\./);
});

it('creates no guests past the limit, from cookie-less first messages or the guest callback', async () => {
  const countUsers = async () => (await query<{ n: number }>(adminUrl, 'SELECT count(*)::int AS n FROM users WHERE is_anonymous'))[0]!.n;
  const before = await countUsers();

  // Straight to Auth.js: three guests from one address, then 429.
  const address = someAddress();
  const statuses: number[] = [];
  let refusal: Response | undefined;
  for (let i = 0; i < NEW_GUESTS_PER_ADDRESS + 2; i++) {
    const response = await callback('guest', {}, { 'x-real-ip': address });
    statuses.push(response.status);
    if (response.status === 429) refusal = response;
    else expect(hasCookie(response, 'authjs.session-token')).toBe(true);
  }
  expect(statuses).toEqual([302, 302, 302, 429, 429]);
  await expectTooManyRequests(refusal!, /^Too many guest sessions were started from your network\. Try again in \d+ minutes?, or sign in\.$/);
  expect(await countUsers()).toBe(before + NEW_GUESTS_PER_ADDRESS);

  // A visitor's first message: refused without a session, then the page makes them a guest.
  const other = someAddress();
  for (let i = 0; i < NEW_GUESTS_PER_ADDRESS + 2; i++) {
    expect((await postChat(app.url, '', { message: 'hello' })).status).toBe(401);
    await action('/', 'ensureGuestSession', { 'x-real-ip': other });
  }
  expect(await countUsers()).toBe(before + 2 * NEW_GUESTS_PER_ADDRESS);

  // Unknown addresses (no trusted header) meet the app-wide limit.
  const unknown: number[] = [];
  for (let i = 0; i < 4; i++) unknown.push((await callback('guest', {}, { 'x-forwarded-for': `203.0.113.${100 + i}` })).status);
  const left = NEW_GUESTS_APP_WIDE - 2 * NEW_GUESTS_PER_ADDRESS;
  expect(unknown).toEqual([...Array<number>(left).fill(302), ...Array<number>(4 - left).fill(429)]);
  expect(await countUsers()).toBe(before + NEW_GUESTS_APP_WIDE);
});

it('refuses sign-ups past 5 an hour from one address, before hashing, and the page says so', async () => {
  const address = someAddress();
  const created: boolean[] = [];
  let refusal = '';
  for (let i = 0; i < 7; i++) {
    const response = await action('/sign-up', 'signUpAction', { 'x-real-ip': address }, { email: `flood-${i}@example.com`, password: PASSWORD });
    created.push(hasCookie(response, 'authjs.session-token'));
    if (!created.at(-1)) refusal = await response.text();
  }
  expect(created).toEqual([true, true, true, true, true, false, false]);
  expect(refusal).toMatch(/Too many accounts were created from your network\. Try again in \d+ minutes?\./);
  const [{ n }] = (await query<{ n: number }>(adminUrl, "SELECT count(*)::int AS n FROM users WHERE email LIKE 'flood-%'")) as [{ n: number }];
  expect(n).toBe(5);
  // Another address is not held back by this one.
  await signUp('neighbour@example.com');
});

it('refuses chat turns past the per-minute limit with 429 before storing or asking a model', async () => {
  const signedUp = await signUp('chatty@example.com');
  const cookie = cookiesOf(signedUp).find((c) => c.startsWith('authjs.session-token='))!;
  let conversationId: string | undefined;
  for (let i = 0; i < CHAT_TURNS_PER_MINUTE; i++) {
    const sent = await postChat(app.url, cookie, { conversationId, message: `Message ${i}` });
    const start = sent.events[0];
    if (start?.type !== 'start' || !start.conversationId) throw new Error(`turn ${i} was not answered (${sent.status})`);
    conversationId = start.conversationId;
  }
  const over = await postChat(app.url, cookie, { conversationId, message: 'One too many' });
  expect(over.status).toBe(429);
  expect(over.refusal?.error).toMatch(/faster than Engram takes them \(3 a minute\)/);
  expect(await query(adminUrl, "SELECT id FROM conversation_turns WHERE content = 'One too many'")).toEqual([]);
  expect(fake.requests.filter((r) => JSON.stringify(r.body).includes('One too many'))).toEqual([]);
});

