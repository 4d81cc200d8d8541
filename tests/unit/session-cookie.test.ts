import { encode } from 'next-auth/jwt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionToken } from '@/lib/auth/session-cookie';
import { env } from '@/lib/env';

const PLAIN = 'authjs.session-token';
const SECURE = '__Secure-authjs.session-token';
const claims = { userId: '0b9c1b8e-5d0c-4c6e-9a51-8d4f2f6f1a10', isAnonymous: true, sessionVersion: 2 };

/** A session cookie as Auth.js writes it: its encoder, salted with the cookie's name. */
const written = (name: string, options: { secret?: string; maxAge?: number } = {}) =>
  encode({ token: claims, secret: options.secret ?? env().AUTH_SECRET, salt: name, maxAge: options.maxAge });

const request = (cookie: string, proto?: string, extra: Record<string, string> = {}) =>
  new Headers({ cookie, ...(proto && { 'x-forwarded-proto': proto }), ...extra });

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('the session cookie, read as Auth.js reads it', () => {
  it('gives the claims Auth.js wrote, under the name it uses for the protocol', async () => {
    expect(await sessionToken(request(`${PLAIN}=${await written(PLAIN)}`, 'http'))).toMatchObject(claims);
    expect(await sessionToken(request(`${SECURE}=${await written(SECURE)}`, 'https'))).toMatchObject(claims);
    // Without a forwarded protocol Auth.js assumes https, so only the secure name counts.
    expect(await sessionToken(request(`${SECURE}=${await written(SECURE)}`))).toMatchObject(claims);
    expect(await sessionToken(request(`${PLAIN}=${await written(PLAIN)}`))).toBeUndefined();
  });

  it('takes the protocol from AUTH_URL when it is set', async () => {
    vi.stubEnv('AUTH_URL', 'https://engram.example.com');
    expect(await sessionToken(request(`${PLAIN}=${await written(PLAIN)}`, 'http'))).toBeUndefined();
    expect(await sessionToken(request(`${SECURE}=${await written(SECURE)}`, 'http'))).toMatchObject(claims);
  });

  it('joins a cookie Auth.js split into chunks', async () => {
    const token = await written(PLAIN);
    const cut = Math.floor(token.length / 2);
    const cookie = `other=1; ${PLAIN}.0=${token.slice(0, cut)}; ${PLAIN}.1=${token.slice(cut)}`;
    expect(await sessionToken(request(cookie, 'http'))).toMatchObject(claims);
  });

  it('reads no session from a forged, expired or foreign cookie, a cookie salted for the other name, or a bearer header', async () => {
    const none = async (cookie: string, extra?: Record<string, string>) => expect(await sessionToken(request(cookie, 'http', extra))).toBeUndefined();
    await none(`${PLAIN}=not-a-token`);
    await none(`${PLAIN}=${await written(PLAIN, { secret: 'another secret of at least thirty-two characters' })}`);
    await none(`${PLAIN}=${await written(PLAIN, { maxAge: -60 })}`);
    await none(`${PLAIN}=${await written(SECURE)}`);
    await none('', { authorization: `Bearer ${await written(PLAIN)}` });
  });

  it('reads a session it has read before until it expires, and not after', async () => {
    const cookie = `${PLAIN}=${await written(PLAIN, { maxAge: 60 })}`;
    expect(await sessionToken(request(cookie, 'http'))).toMatchObject(claims);
    expect(await sessionToken(request(cookie, 'http'))).toMatchObject(claims);
    // Only the clock moves: the token read before is now past its expiry (and jose's 15 s leeway).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 90_000 });
    expect(await sessionToken(request(cookie, 'http'))).toBeUndefined();
  });
});
