/**
 * The device cookie: set on a successful sign-in, it names the accounts this browser signed in to
 * (each id signed with AUTH_SECRET), so an account locked by failed sign-ins still lets its owner
 * in from a browser they used before, while an attacker cannot forge one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEVICE_COOKIE = 'engram-device';
/** Long enough to outlive any lock, within what browsers keep (Chromium caps cookies at 400 days). */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;
/** A shared computer may hold several people's accounts; a few of the latest are kept. */
const MAX_ACCOUNTS = 5;

const signature = (secret: string, userId: string) => createHmac('sha256', secret).update(`engram device:${userId}`).digest();

function verified(secret: string, entry: string): string | undefined {
  const [userId, signed] = entry.split('.');
  if (!userId || !signed) return undefined;
  const expected = signature(secret, userId);
  const given = Buffer.from(signed, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
}

/** The accounts this browser's device cookie vouches for; entries with a bad signature are ignored. */
export function deviceAccounts(cookie: string | undefined, secret: string): string[] {
  if (!cookie) return [];
  // No more entries than it is ever written with: a padded cookie costs no extra HMACs.
  return cookie
    .split('~')
    .slice(0, MAX_ACCOUNTS)
    .flatMap((entry) => verified(secret, entry) ?? []);
}

/** The cookie's next value: this account first, then up to four others it already vouched for. */
export function withDeviceAccount(cookie: string | undefined, secret: string, userId: string): string {
  const others = deviceAccounts(cookie, secret).filter((id) => id !== userId);
  return [userId, ...others]
    .slice(0, MAX_ACCOUNTS)
    .map((id) => `${id}.${signature(secret, id).toString('base64url')}`)
    .join('~');
}

/** One cookie's value from a Cookie request header. */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
