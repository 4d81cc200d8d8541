import { describe, expect, it, vi } from 'vitest';
import { fieldErrors, signUpSchema } from '@/lib/auth/credentials';
import { hashPassword, verifyPassword } from '@/lib/auth/passwords';
import { InvalidSettingError, parseEnv } from '@/lib/env';
import { warnWithoutTrustedProxy } from '@/lib/rate-limit';
import { clientAddress } from '@/lib/rate-limit/address';
import { cookieValue, deviceAccounts, withDeviceAccount } from '@/lib/rate-limit/device';

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

describe('client address', () => {
  const from = (value: string, header = 'x-real-ip') => clientAddress(new Headers({ [header]: value }), header);

  it('is unknown without a trusted proxy header, whatever the client sends', () => {
    expect(clientAddress(new Headers({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' }), undefined)).toBeUndefined();
    expect(clientAddress(new Headers(), 'x-real-ip')).toBeUndefined();
    expect(from('not an address')).toBeUndefined();
  });

  it("takes the right-most entry: the one the trusted proxy appended after the client's own", () => {
    expect(from('198.51.100.1, 10.0.0.7, 203.0.113.9', 'x-forwarded-for')).toBe('203.0.113.9');
    expect(from('203.0.113.9:51234')).toBe('203.0.113.9');
  });

  it('counts an IPv6 address as its /64 network, and an IPv4-mapped one as IPv4', () => {
    expect(from('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(from('[2001:DB8:0:1:ffff:ffff:ffff:ffff]:443')).toBe('2001:db8:0:1::/64');
    expect(from('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(from('::1')).toBe('0:0:0:0::/64');
    expect(from('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });
});

describe('device cookie', () => {
  const secret = 's'.repeat(32);
  const ada = '0b5cbe46-07a4-4c3f-9e56-0f0d5b1e2a11';
  const bob = '5f1e0c52-8a3b-4d7e-b1c2-3d4e5f6a7b8c';

  it('vouches for the accounts it was signed for, newest first, at most five', () => {
    const cookie = withDeviceAccount(withDeviceAccount(undefined, secret, ada), secret, bob);
    expect(deviceAccounts(cookie, secret)).toEqual([bob, ada]);
    expect(deviceAccounts(withDeviceAccount(cookie, secret, ada), secret)).toEqual([ada, bob]);
    let many: string | undefined;
    for (let i = 0; i < 7; i++) many = withDeviceAccount(many, secret, `00000000-0000-4000-8000-00000000000${i}`);
    expect(deviceAccounts(many, secret)).toHaveLength(5);
  });

  it('vouches for nothing forged, altered or signed with another secret', () => {
    const cookie = withDeviceAccount(undefined, secret, ada);
    expect(deviceAccounts(cookie, 'x'.repeat(32))).toEqual([]);
    expect(deviceAccounts(cookie.replace(ada, bob), secret)).toEqual([]);
    expect(deviceAccounts(`${bob}.${'A'.repeat(43)}`, secret)).toEqual([]);
    expect(deviceAccounts(`${bob}`, secret)).toEqual([]);
    expect(deviceAccounts(`${cookie}~${bob}.short`, secret)).toEqual([ada]);
  });

  it('is read from a Cookie header by name', () => {
    expect(cookieValue('a=1; engram-device=abc.def; b=2', 'engram-device')).toBe('abc.def');
    expect(cookieValue('xengram-device=1', 'engram-device')).toBeUndefined();
    expect(cookieValue(null, 'engram-device')).toBeUndefined();
  });
});

describe('rate-limit settings', () => {
  const AUTH_SECRET = 'x'.repeat(32);

  it('default to the documented limits, with no trusted proxy', () => {
    const settings = parseEnv({ AUTH_SECRET });
    expect(settings.TRUSTED_PROXY_HEADER).toBeUndefined();
    expect([
      settings.RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR,
      settings.RATE_LIMIT_NEW_GUESTS_PER_HOUR,
      settings.RATE_LIMIT_CHAT_TURNS_PER_MINUTE,
      settings.RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY,
      settings.RATE_LIMIT_SIGN_UPS_PER_ADDRESS_PER_HOUR,
      settings.RATE_LIMIT_SIGN_UPS_PER_HOUR,
      settings.RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT,
      settings.RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS,
    ]).toEqual([20, 500, 20, 200, 5, 100, 10, 50]);
    expect(parseEnv({ AUTH_SECRET, TRUSTED_PROXY_HEADER: ' X-Real-IP ' }).TRUSTED_PROXY_HEADER).toBe('x-real-ip');
  });

  it('stop start-up naming each bad value', () => {
    let problems: string[] = [];
    try {
      parseEnv({ AUTH_SECRET, TRUSTED_PROXY_HEADER: 'X Real IP', RATE_LIMIT_SIGN_UPS_PER_HOUR: 'lots', RATE_LIMIT_CHAT_TURNS_PER_MINUTE: '0' });
    } catch (error) {
      if (!(error instanceof InvalidSettingError)) throw error;
      problems = error.problems.map((p) => p.variable).sort();
    }
    expect(problems).toEqual(['RATE_LIMIT_CHAT_TURNS_PER_MINUTE', 'RATE_LIMIT_SIGN_UPS_PER_HOUR', 'TRUSTED_PROXY_HEADER']);
  });

  it('warn once per process when no trusted proxy header is set', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      warnWithoutTrustedProxy({ TRUSTED_PROXY_HEADER: 'x-real-ip' });
      expect(warn).not.toHaveBeenCalled();
      warnWithoutTrustedProxy({ TRUSTED_PROXY_HEADER: undefined });
      warnWithoutTrustedProxy({ TRUSTED_PROXY_HEADER: undefined });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/TRUSTED_PROXY_HEADER is not set/);
    } finally {
      warn.mockRestore();
    }
  });
});
