import { describe, expect, it } from 'vitest';
import { containsSecret } from '@/lib/memory/secrets';

describe('secrets in messages', () => {
  it('finds keys, passwords, private keys and card numbers as people paste them', () => {
    for (const message of [
      'here is my key sk-ant-api03-abcdefghijklmnop1234567890 can you check why it fails',
      'export OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUv',
      'my github token ghp_0123456789abcdefghijABCDEFGHIJ0123',
      'my password is hunter2!',
      'login with user admin, password: Tr0ub4dor&3',
      'card 4111 1111 1111 1111 exp 12/29',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA',
      'AWS key AKIAIOSFODNN7EXAMPLE',
    ]) {
      expect(containsSecret(message), message).toBe(true);
    }
  });

  it('leaves ordinary talk alone, numbers included', () => {
    for (const message of [
      "I'm allergic to peanuts.",
      'I forgot my password yesterday, how do I reset it?',
      'My phone number is 0612345678 and I live at 12 Rue de Rivoli',
      'The order number was 1234 5678 9012 3456',
      'We use the token bucket algorithm for rate limits',
      'I use sk-learn for my models',
    ]) {
      expect(containsSecret(message), message).toBe(false);
    }
  });
});
