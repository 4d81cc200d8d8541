/** Password hashing with argon2id (OWASP's first choice), through a native, prebuilt binding. */
import { hash, verify } from '@node-rs/argon2';

export function hashPassword(password: string): Promise<string> {
  // The library's defaults are argon2id with m=19 MiB, t=2, p=1: OWASP's minimum recommendation.
  return hash(password);
}

/** Constant-time comparison inside argon2's verify. False for a malformed hash, never throws. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
