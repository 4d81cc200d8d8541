import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries `Bearer <secret>`, compared in constant time. Both
 * sides are hashed first, so neither the secret's length nor its prefix leaks through timing.
 */
export function hasBearerSecret(authorization: string | null, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${secret}`));
}
