import { describe, expect, it } from 'vitest';
import { chatBodyLimitBytes, chatRequestSchema, TEMPORARY_HISTORY_MAX_CHARS, TEMPORARY_HISTORY_MAX_TURNS } from '@/lib/chat/request';

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

  it("caps a temporary chat's history by turns and by characters, saying what to do", () => {
    const problem = (history: { role: 'user' | 'assistant'; content: string }[]) =>
      schema.safeParse({ temporary: true, message: 'hi', history }).error?.issues[0]?.message;
    const turns = (count: number, chars: number) => Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x'.repeat(chars) }) as const);
    expect(problem(turns(TEMPORARY_HISTORY_MAX_TURNS, TEMPORARY_HISTORY_MAX_CHARS / TEMPORARY_HISTORY_MAX_TURNS))).toBeUndefined();
    expect(problem(turns(TEMPORARY_HISTORY_MAX_TURNS + 1, 1))).toMatch(/^This temporary chat is too long to go on: it can carry 40 messages and 32,000 characters.*Start a new temporary chat/);
    expect(problem(turns(2, TEMPORARY_HISTORY_MAX_CHARS / 2 + 1))).toMatch(/^This temporary chat is too long to go on/);
  });

  it('lets the largest request the settings allow through the body limit, even in 3-byte characters', () => {
    const longest = { temporary: true, message: '語'.repeat(8000), history: [{ role: 'user', content: '語'.repeat(TEMPORARY_HISTORY_MAX_CHARS) }] };
    expect(new TextEncoder().encode(JSON.stringify(longest)).byteLength).toBeLessThanOrEqual(chatBodyLimitBytes(8000));
    expect(chatBodyLimitBytes(8000)).toBe(136_384);
  });
});
