/**
 * The session cookie Auth.js writes, read back: the same name (with `__Secure-` when Auth.js
 * would use secure cookies), the same key, the same checks. It takes the request's headers.
 */
import { createHash } from 'node:crypto';
import { decode, type JWT } from 'next-auth/jwt';
import { env } from '@/lib/env';
import { cookieValue } from '@/lib/rate-limit/device';

/**
 * Whether Auth.js names its cookies `__Secure-…`: when the URL it works out for itself is https,
 * which is AUTH_URL's when set, else the forwarded protocol, else https (createActionURL in @auth/core).
 */
function usesSecureCookies(headers: Headers): boolean {
  const configured = process.env.AUTH_URL ?? process.env.NEXTAUTH_URL;
  if (configured) return new URL(configured).protocol === 'https:';
  return (headers.get('x-forwarded-proto') ?? 'https').replace(/:$/, '') === 'https';
}

/** The cookie's value, whole or from the chunks (`name.0`, `name.1`…) Auth.js splits a long one into. */
function sessionCookie(header: string | null, name: string): string | undefined {
  const whole = cookieValue(header, name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let chunk = cookieValue(header, `${name}.0`); chunk; chunk = cookieValue(header, `${name}.${chunks.length}`)) chunks.push(chunk);
  return chunks.length ? chunks.join('') : undefined;
}

/**
 * Tokens already decrypted, by a SHA-256 of cookie name and value (no token kept, and a lookup's
 * time says nothing about one), oldest first: decrypting (a key derivation, then the decryption)
 * took about 1 ms of CPU on every request. Only tokens that decrypted are kept, and each is
 * checked for expiry on every read, as `decode` checks it.
 */
const decrypted = new Map<string, Readonly<JWT>>();
const DECRYPTED_KEPT = 1000;
/** jose's leeway in Auth.js's `decode`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 15;

const unexpired = (jwt: JWT) => typeof jwt.exp !== 'number' || jwt.exp + CLOCK_TOLERANCE_SECONDS > Date.now() / 1000;

/** The session's claims, or undefined without a valid session cookie (none, forged, expired, another secret's). */
export async function sessionToken(headers: Headers): Promise<JWT | undefined> {
  const name = `${usesSecureCookies(headers) ? '__Secure-' : ''}authjs.session-token`;
  const token = sessionCookie(headers.get('cookie'), name);
  if (!token) return undefined;
  const key = createHash('sha256').update(`${name}=${token}`).digest('base64');
  const known = decrypted.get(key);
  if (known) return unexpired(known) ? known : undefined;
  // Auth.js salts the key with the cookie's name; it reads a token it cannot decrypt as no session.
  const jwt = await decode({ token, secret: env().AUTH_SECRET, salt: name }).catch(() => null);
  if (!jwt) return undefined;
  if (decrypted.size >= DECRYPTED_KEPT) decrypted.delete(decrypted.keys().next().value!);
  decrypted.set(key, Object.freeze(jwt));
  return jwt;
}
