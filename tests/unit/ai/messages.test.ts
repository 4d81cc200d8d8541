import { describe, expect, it } from 'vitest';
import { alternatingTurns } from '@/lib/ai/messages';

describe('alternatingTurns', () => {
  it('drops a leading answer and merges same-role neighbours, leaving the input untouched', () => {
    const input = [
      { role: 'assistant' as const, content: 'left from before the summary' },
      { role: 'user' as const, content: 'first try' },
      { role: 'user' as const, content: 'second try' },
      { role: 'assistant' as const, content: 'answer' },
    ];
    expect(alternatingTurns(input)).toEqual([
      { role: 'user', content: 'first try\n\nsecond try' },
      { role: 'assistant', content: 'answer' },
    ]);
    expect(input[1]!.content).toBe('first try');
  });
});
