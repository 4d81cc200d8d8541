import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractValidated, jsonInText, parseStructured } from '@/lib/ai/structured-output';
import { ExtractionError } from '@/lib/ai/types';

const schema = z.object({ facts: z.array(z.string()) });
const request = { name: 'record_facts', description: '', system: '', prompt: '', schema };

describe('repairing structured answers', () => {
  it('reads JSON out of code fences and surrounding prose', () => {
    expect(jsonInText('Sure! Here you go:\n```json\n{"facts": ["Likes tea"]}\n```\nAnything else?')).toEqual({
      facts: ['Likes tea'],
    });
    expect(jsonInText('The answer is {"facts": []} as requested.')).toEqual({ facts: [] });
  });

  it('validates objects and repaired text against the schema, naming what is wrong', () => {
    expect(parseStructured({ facts: ['a'] }, schema)).toEqual({ ok: true, value: { facts: ['a'] } });
    expect(parseStructured('```{"facts": ["a"]}```', schema)).toEqual({ ok: true, value: { facts: ['a'] } });
    expect(parseStructured({ facts: 'a' }, schema)).toMatchObject({ ok: false, problem: expect.stringMatching(/^facts:/) });
    expect(parseStructured('no json here', schema)).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON/) });
  });

  it('asks again once when the first answer is invalid', async () => {
    const answers: unknown[] = ['I could not find any.', { facts: ['Lives in Berlin'] }];
    const value = await extractValidated(request, async () => answers.shift());
    expect(value).toEqual({ facts: ['Lives in Berlin'] });
    expect(answers).toEqual([]);
  });

  it('gives up after the retry with an ExtractionError that keeps the raw output', async () => {
    let calls = 0;
    const failure = extractValidated(request, async () => {
      calls++;
      return { facts: [42] };
    });
    await expect(failure).rejects.toBeInstanceOf(ExtractionError);
    await expect(failure).rejects.toMatchObject({ rawOutput: '{"facts":[42]}', message: expect.stringMatching(/invalid twice/) });
    expect(calls).toBe(2);
  });
});
