/**
 * Rate limits kept in PostgreSQL, so every serverless instance counts against the same numbers:
 * rate-limiter-flexible's PostgreSQL store on the `rate_limits` table (migration 0015; the app's
 * role cannot create tables, so the store is told it exists), one UPSERT per check, fixed windows.
 * The store runs no timer of its own: the nightly job deletes rows whose window has ended.
 * Framework-free: routes and actions pass in the request's headers and turn a refusal into a 429.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { checkCredentials } from '../auth/accounts';
import { getDatabase } from '../db';
import { users, type User } from '../db/schema';
import { createStore, type Store } from '../db/store';
import { env, type Env } from '../env';
import { clientAddress } from './address';
import { cookieValue, DEVICE_COOKIE, deviceAccounts } from './device';
import { rateLimitClient } from './store';

export type RateLimitSettings = Pick<
  Env,
  | 'AUTH_SECRET'
  | 'TRUSTED_PROXY_HEADER'
  | 'RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR'
  | 'RATE_LIMIT_NEW_GUESTS_PER_HOUR'
  | 'RATE_LIMIT_CHAT_TURNS_PER_MINUTE'
  | 'RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY'
  | 'RATE_LIMIT_SIGN_UPS_PER_ADDRESS_PER_HOUR'
  | 'RATE_LIMIT_SIGN_UPS_PER_HOUR'
  | 'RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT'
  | 'RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS'
>;

/** What to tell a refused client: when to come back, and in words a person can act on. */
export interface Refusal {
  retryAfterSeconds: number;
  message: string;
}

export type LimitResult = { ok: true } | ({ ok: false } & Refusal);

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Failed sign-ins count for this long from the first one; a locked account opens again after it. */
export const SIGN_IN_WINDOW_SECONDS = 15 * MINUTE;

export interface RateLimits {
  newGuestsPerAddress: RateLimiterPostgres;
  newGuests: RateLimiterPostgres;
  chatTurns: RateLimiterPostgres;
  guestChatTurns: RateLimiterPostgres;
  signUpsPerAddress: RateLimiterPostgres;
  signUps: RateLimiterPostgres;
  failedSignInsPerAccount: RateLimiterPostgres;
  failedSignInsPerAddress: RateLimiterPostgres;
  /** A locked account's owner, recognised by the device cookie, has an allowance of their own. */
  failedSignInsPerDevice: RateLimiterPostgres;
  /** Where the client's address comes from (clientAddress), and what signs device cookies. */
  trustedProxyHeader: string | undefined;
  secret: string;
}

export function createRateLimits(store: Store, settings: RateLimitSettings): RateLimits {
  const storeClient = rateLimitClient(store);
  const limiter = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({
      storeClient,
      storeType: 'client',
      tableName: 'rate_limits',
      tableCreated: true,
      // Its timer would DELETE every 5 minutes from each instance: the nightly job does it once.
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration,
    });
  return {
    newGuestsPerAddress: limiter('guest:address', settings.RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR, HOUR),
    newGuests: limiter('guest:all', settings.RATE_LIMIT_NEW_GUESTS_PER_HOUR, HOUR),
    chatTurns: limiter('turn:user', settings.RATE_LIMIT_CHAT_TURNS_PER_MINUTE, MINUTE),
    guestChatTurns: limiter('turn:guest-day', settings.RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY, DAY),
    signUpsPerAddress: limiter('sign-up:address', settings.RATE_LIMIT_SIGN_UPS_PER_ADDRESS_PER_HOUR, HOUR),
    signUps: limiter('sign-up:all', settings.RATE_LIMIT_SIGN_UPS_PER_HOUR, HOUR),
    failedSignInsPerAccount: limiter('sign-in:account', settings.RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT, SIGN_IN_WINDOW_SECONDS),
    failedSignInsPerAddress: limiter('sign-in:address', settings.RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS, SIGN_IN_WINDOW_SECONDS),
    failedSignInsPerDevice: limiter('sign-in:device', settings.RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT, SIGN_IN_WINDOW_SECONDS),
    trustedProxyHeader: settings.TRUSTED_PROXY_HEADER,
    secret: settings.AUTH_SECRET,
  };
}

// Kept on globalThis so `next dev` reloads reuse the limiters.
const holder = globalThis as typeof globalThis & { engramRateLimits?: Promise<RateLimits> };

/** The limits of this process, on the app's database and settings. */
export function getRateLimits(): Promise<RateLimits> {
  holder.engramRateLimits ??= getDatabase()
    .then((handle) => createRateLimits(createStore(handle), env()))
    .catch((error: unknown) => {
      holder.engramRateLimits = undefined;
      throw error;
    });
  return holder.engramRateLimits;
}

let warned = false;

/** Says once per process that, without a trusted proxy header, no limit can be kept per address. */
export function warnWithoutTrustedProxy(settings: Pick<Env, 'TRUSTED_PROXY_HEADER'>): void {
  if (settings.TRUSTED_PROXY_HEADER || warned) return;
  warned = true;
  console.warn(
    '[engram] TRUSTED_PROXY_HEADER is not set: client addresses are unknown, so the limits per address ' +
      '(new guests, sign-ups, failed sign-ins) do not apply; only those per account, per user and app-wide do. ' +
      'Run behind a proxy that overwrites a header with the client address, and name that header (README, "Rate limits").',
  );
}

/** The client's address from the trusted proxy's header, or undefined when unknown. */
export const addressOf = (limits: RateLimits, headers: Headers): string | undefined =>
  clientAddress(headers, limits.trustedProxyHeader);

/** 429 with Retry-After and the message as `error`, the shape of every refusal the pages show. */
export function tooManyRequests(refusal: Refusal): Response {
  return Response.json(
    { error: refusal.message, retryAfterSeconds: refusal.retryAfterSeconds },
    { status: 429, headers: { 'retry-after': String(refusal.retryAfterSeconds), 'cache-control': 'no-store' } },
  );
}

/** A wait in the unit a person reads best: up to 90 seconds, up to 90 minutes, then hours. */
export function inWords(seconds: number): string {
  const [count, unit] =
    seconds <= 90 ? [seconds, 'second'] : seconds <= 90 * MINUTE ? [Math.ceil(seconds / MINUTE), 'minute'] : [Math.ceil(seconds / HOUR), 'hour'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

const refusal = (retryAfterSeconds: number, message: (wait: string) => string): Refusal => ({
  retryAfterSeconds,
  message: message(inWords(retryAfterSeconds)),
});

/**
 * Takes one event from `key`'s allowance, in one statement: undefined while it was within it, else
 * the seconds until the window ends. Refused events count too, so hammering a full window does
 * not open it any sooner.
 */
async function take(limiter: RateLimiterPostgres, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (rejection) {
    // The library rejects with an Error when the database failed, else with the window's state.
    if (rejection instanceof Error) throw rejection;
    const { msBeforeNext } = rejection as { msBeforeNext: number };
    return Math.max(1, Math.ceil(msBeforeNext / 1000));
  }
}

/** Before a chat turn (a new message, a retry, or a temporary chat's turn): per user, and per guest per day. */
export async function limitChatTurn(limits: RateLimits, user: { id: string; isAnonymous: boolean }): Promise<LimitResult> {
  const wait = await take(limits.chatTurns, user.id);
  if (wait) {
    return { ok: false, ...refusal(wait, (w) => `You're sending messages faster than Engram takes them (${limits.chatTurns.points} a minute). Send it again in ${w}.`) };
  }
  if (user.isAnonymous) {
    const daily = await take(limits.guestChatTurns, user.id);
    if (daily) {
      return { ok: false, ...refusal(daily, (w) => `Guests can send ${limits.guestChatTurns.points} messages a day. Create an account to keep going, or come back in ${w}.`) };
    }
  }
  return { ok: true };
}

/** Before a guest (a user row) is created: per client address when known, and app-wide. */
export async function limitNewGuest(limits: RateLimits, address: string | undefined): Promise<LimitResult> {
  const wait = address && (await take(limits.newGuestsPerAddress, address));
  if (wait) return { ok: false, ...refusal(wait, (w) => `Too many guest sessions were started from your network. Try again in ${w}, or sign in.`) };
  const all = await take(limits.newGuests, 'all');
  if (all) return { ok: false, ...refusal(all, (w) => `Engram is not starting new guest sessions for the moment. Try again in ${w}, or sign in.`) };
  return { ok: true };
}

/** Before an account is created (and its password hashed): per client address when known, and app-wide. */
export async function limitSignUp(limits: RateLimits, address: string | undefined): Promise<LimitResult> {
  const wait = address && (await take(limits.signUpsPerAddress, address));
  if (wait) return { ok: false, ...refusal(wait, (w) => `Too many accounts were created from your network. Try again in ${w}.`) };
  const all = await take(limits.signUps, 'all');
  if (all) return { ok: false, ...refusal(all, (w) => `Engram is not creating new accounts for the moment. Try again in ${w}.`) };
  return { ok: true };
}

/** Who is signing in, as far as the limits care: their address, and the accounts their device cookie vouches for. */
export interface SignInClient {
  address: string | undefined;
  deviceAccounts: string[];
}

export function signInClient(limits: RateLimits, headers: Headers): SignInClient {
  return {
    address: addressOf(limits, headers),
    deviceAccounts: deviceAccounts(cookieValue(headers.get('cookie'), DEVICE_COOKIE), limits.secret),
  };
}

export type SignInOutcome = { status: 'signed_in'; user: User } | { status: 'wrong' } | { status: 'refused'; refusal: Refusal };

// The account's key is the email's hash: as long as any email, and no address book in rate_limits.
const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');

async function accountIdOf(store: Store, email: string): Promise<string | undefined> {
  const [user] = await store.asSystem((tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, email)));
  return user?.id;
}

/**
 * Checks an email (normalised) and password within the limits on failed sign-ins. Each attempt
 * takes an event from its address's and its account's allowance before the password is checked,
 * and a success gives them back: parallel attempts cannot slip past the count, and a refusal
 * costs no password hash. An account past its allowance (counted by email, so unknown emails
 * lock alike) is locked to everyone but a browser whose device cookie vouches for it, whose own
 * failures count apart: the owner is never locked out by someone else's guesses.
 */
export async function signInWithLimits(
  limits: RateLimits,
  store: Store,
  credentials: { email: string; password: string },
  client: SignInClient,
): Promise<SignInOutcome> {
  const refused = (retryAfterSeconds: number, message: (wait: string) => string): SignInOutcome => ({
    status: 'refused',
    refusal: refusal(retryAfterSeconds, message),
  });
  const taken: [RateLimiterPostgres, string][] = [];
  const { address } = client;
  if (address) {
    const wait = await take(limits.failedSignInsPerAddress, address);
    if (wait) return refused(wait, (w) => `Too many failed sign-ins from your network. Try again in ${w}.`);
    taken.push([limits.failedSignInsPerAddress, address]);
  }

  const account = accountKey(credentials.email);
  const locked = await take(limits.failedSignInsPerAccount, account);
  if (locked) {
    const lockedOut = (wait: number) =>
      refused(wait, (w) => `Too many failed sign-ins to this account. Try again in ${w}, or from a browser you have signed in to it with before.`);
    const owner = client.deviceAccounts.length ? await accountIdOf(store, credentials.email) : undefined;
    if (!owner || !client.deviceAccounts.includes(owner)) return lockedOut(locked);
    const wait = await take(limits.failedSignInsPerDevice, owner);
    if (wait) return lockedOut(Math.min(wait, locked));
    taken.push([limits.failedSignInsPerDevice, owner]);
  } else {
    taken.push([limits.failedSignInsPerAccount, account]);
  }

  const user = await checkCredentials(store, credentials.email, credentials.password);
  if (!user) return { status: 'wrong' };
  // Not a failure after all: the attempt's events are given back.
  await Promise.all(taken.map(([limiter, key]) => limiter.reward(key)));
  return { status: 'signed_in', user };
}
