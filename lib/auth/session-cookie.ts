/**
 * The session cookie Auth.js writes, read back: the same name (with `__Secure-` when Auth.js
 * would use secure cookies), the same key, the same checks. It takes the request's headers.
 */
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

/** The session's claims, or undefined without a valid session cookie (none, forged, expired, another secret's). */
export async function sessionToken(headers: Headers): Promise<JWT | undefined> {
  const name = `${usesSecureCookies(headers) ? '__Secure-' : ''}authjs.session-token`;
  const token = sessionCookie(headers.get('cookie'), name);
  if (!token) return undefined;
  // Auth.js salts the key with the cookie's name; it reads a token it cannot decrypt as no session.
  return (await decode({ token, secret: env().AUTH_SECRET, salt: name }).catch(() => null)) ?? undefined;
}
