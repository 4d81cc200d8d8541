import { describe, expect, it } from 'vitest';
import { hasBearerSecret } from '@/lib/auth/bearer';

describe('bearer secret check', () => {
  it('accepts exactly "Bearer <secret>"', () => {
    const secret = 's3cret-s3cret-s3cret';
    expect(hasBearerSecret(`Bearer ${secret}`, secret)).toBe(true);
    expect(hasBearerSecret(secret, secret)).toBe(false);
    expect(hasBearerSecret(`Bearer ${secret}x`, secret)).toBe(false);
    expect(hasBearerSecret(`bearer ${secret}`, secret)).toBe(false);
    expect(hasBearerSecret(null, secret)).toBe(false);
    expect(hasBearerSecret('', secret)).toBe(false);
  });
});
