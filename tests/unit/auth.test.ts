import { describe, expect, it } from 'vitest';
import { fieldErrors, signUpSchema } from '@/lib/auth/credentials';
import { hashPassword, verifyPassword } from '@/lib/auth/passwords';
import { FailedSignInThrottle } from '@/lib/auth/throttle';

describe('sign-up input', () => {
  it('normalises the email', () => {
    expect(signUpSchema.parse({ email: '  Ada@Example.COM ', password: 'a long enough password' }).email).toBe('ada@example.com');
  });

  it('refuses a bad email and weak passwords with a message per field', () => {
    const problems = (email: string, password: string) => {
      const result = signUpSchema.safeParse({ email, password });
      return result.success ? {} : fieldErrors(result.error);
    };
    expect(problems('not-an-email', 'a long enough password')).toEqual({ email: 'Enter a valid email address.' });
    expect(problems('a@b.co', 'short')).toEqual({ password: 'Use at least 10 characters.' });
    expect(problems('a@b.co', 'Password123')).toEqual({ password: 'That password is too common; choose another.' });
    expect(problems('a@b.co', 'aaaaaaaaaaaa')).toEqual({ password: 'That password is too repetitive; choose another.' });
  });
});

describe('passwords', () => {
  it('are hashed with argon2id and verified; a malformed hash verifies nothing', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery!')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});

describe('failed sign-in throttle', () => {
  it('lets a few attempts through, then doubles the wait, and forgets after the window', () => {
    let now = 0;
    const throttle = new FailedSignInThrottle({ freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 350, windowMs: 1000 }, () => now);
    const delays = [];
    for (let i = 0; i < 5; i++) {
      delays.push(throttle.delayMs('1.2.3.4'));
      throttle.recordFailure('1.2.3.4');
    }
    expect(delays).toEqual([0, 0, 100, 200, 350]);
    expect(throttle.delayMs('5.6.7.8')).toBe(0);
    now = 2000;
    expect(throttle.delayMs('1.2.3.4')).toBe(0);
    throttle.recordFailure('1.2.3.4');
    throttle.reset('1.2.3.4');
    expect(throttle.delayMs('1.2.3.4')).toBe(0);
  });
});
