import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '@/lib/chat/request';

const schema = chatRequestSchema(100);
const id = '6f1d2c7e-9a4b-4c1d-8e2f-0a1b2c3d4e5f';

describe('chat request', () => {
  it('tells a message, a retry and a temporary turn apart', () => {
    expect(schema.parse({ message: ' hi ' })).toEqual({ message: 'hi' });
    expect(schema.parse({ conversationId: id, message: 'hi' })).toEqual({ conversationId: id, message: 'hi' });
    expect(schema.parse({ conversationId: id, retry: true })).toEqual({ conversationId: id, retry: true });
    expect(schema.parse({ temporary: true, message: 'hi', history: [{ role: 'user', content: 'before' }] })).toEqual({
      temporary: true,
      message: 'hi',
      history: [{ role: 'user', content: 'before' }],
    });
  });

  it('refuses empty, too long and malformed requests with a readable message', () => {
    const problem = (body: unknown) => schema.safeParse(body).error?.issues[0]?.message;
    expect(problem({ message: '   ' })).toBe('The message is empty.');
    expect(problem({ message: 'x'.repeat(101) })).toBe('The message is longer than 100 characters.');
    expect(problem({ conversationId: 'not-an-id', message: 'hi' })).toBeDefined();
    expect(problem({ temporary: true, message: 'hi', history: [{ role: 'system', content: 'x' }] })).toBeDefined();
    expect(problem({ message: 'a NUL \0 byte' })).toMatch(/NUL character/);
  });
});
