import { describe, expect, it } from 'vitest';
import { attributeOf, sameValue } from '@/lib/memory/attributes';

describe('single-valued attributes', () => {
  it('recognises the canonical forms and the usual variants', () => {
    expect(attributeOf('Lives in Berlin')).toBe('residence');
    expect(attributeOf('Moved to Lisbon in 2024')).toBe('residence');
    expect(attributeOf('Resides in Lyon')).toBe('residence');
    expect(attributeOf('Name is Ada')).toBe('name');
    expect(attributeOf('Goes by Sam')).toBe('name');
    expect(attributeOf('Works at Siemens')).toBe('employer');
    expect(attributeOf('Works for the city council')).toBe('employer');
    expect(attributeOf('Works as a nurse')).toBe('job_title');
    expect(attributeOf('Is married to Chris')).toBe('partner');
    expect(attributeOf('Partner is Alex')).toBe('partner');
  });

  it('leaves facts that can hold many values alone', () => {
    for (const fact of ['Likes living in big cities', 'Works on a compiler', 'Is allergic to peanuts', 'Uses PostgreSQL', 'Wants to move to Berlin']) {
      expect(attributeOf(fact)).toBeNull();
    }
  });

  it('compares the values, however the attribute is worded', () => {
    expect(sameValue('Lives in Berlin.', 'lives in  berlin')).toBe(true);
    expect(sameValue('Lives in Berlin', 'Is based in Berlin')).toBe(true);
    expect(sameValue('Lives in Berlin', 'Lives in Lyon')).toBe(false);
  });
});
