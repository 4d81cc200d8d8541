/**
 * The rate limits inside Auth.js: its providers' `authorize` refuse by throwing LimitedSignIn.
 * Called from a server action (signIn), the error reaches the action, which shows its message;
 * over HTTP (POST /api/auth/callback/*) Auth.js would turn it into a redirect, so its routes are
 * wrapped to answer 429 with Retry-After instead.
 */
import 'server-only';
import { AsyncLocalStorage } from 'node:async_hooks';
import { cookies } from 'next/headers';
import { CredentialsSignin } from 'next-auth';
import { tooManyRequests, type Refusal } from '.';
import { cookieValue, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, withDeviceAccount } from './device';

const CODE = 'rate_limited';

export class LimitedSignIn extends CredentialsSignin {
  code = CODE;
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** The refusal a sign-in threw, if it was one. By shape: a class may be bundled twice, and instanceof then fails. */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== CODE) return undefined;
  const { refusal } = error as { refusal?: Refusal };
  return refusal && typeof refusal.message === 'string' && typeof refusal.retryAfterSeconds === 'number' ? refusal : undefined;
}

/** What the current Auth.js route request was refused for, set from inside `authorize`. */
const routeRefusal = new AsyncLocalStorage<{ refusal?: Refusal }>();

/** Refuses a sign-in from inside `authorize`. */
export function refuseSignIn(refusal: Refusal): never {
  const request = routeRefusal.getStore();
  if (request) request.refusal = refusal;
  throw new LimitedSignIn(refusal);
}

type RouteHandler<R extends Request> = (request: R) => Promise<Response>;

/** Auth.js's route handlers, answering 429 when `authorize` refused for a limit. */
export function answeringRefusals<R extends Request>(handlers: { GET: RouteHandler<R>; POST: RouteHandler<R> }) {
  const wrap =
    (handler: RouteHandler<R>): RouteHandler<R> =>
    async (request) => {
      const seen: { refusal?: Refusal } = {};
      const response = await routeRefusal.run(seen, () => handler(request));
      return seen.refusal ? tooManyRequests(seen.refusal) : response;
    };
  return { GET: wrap(handlers.GET), POST: wrap(handlers.POST) };
}

/**
 * After a successful sign-in (from `authorize`, in a route or an action: both may set cookies),
 * this browser's device cookie vouches for the account too. httpOnly, so no script can lift it.
 */
export async function rememberDevice(request: Request, userId: string, secret: string): Promise<void> {
  const current = cookieValue(request.headers.get('cookie'), DEVICE_COOKIE);
  (await cookies()).set(DEVICE_COOKIE, withDeviceAccount(current, secret, userId), {
    httpOnly: true,
    sameSite: 'lax',
    secure: new URL(request.url).protocol === 'https:',
    path: '/',
    maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
  });
}
