/**
 * Turning a model's structured answer into a validated value. Models wrap JSON in prose or code
 * fences, or answer in text when a tool was expected; those faults are repaired here. An answer
 * still invalid is asked for once more, then reported as an ExtractionError with the raw output.
 */
import type { z } from 'zod';
import { ExtractionError, type ExtractRequest } from './types';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The JSON inside a text answer: fences stripped, prose before and after cut off. */
export function jsonInText(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const body = (fenced ?? text).trim();
  const start = body.search(/[[{]/);
  const end = Math.max(body.lastIndexOf('}'), body.lastIndexOf(']'));
  if (start === -1 || end < start) throw new SyntaxError('no JSON object in the answer');
  return JSON.parse(body.slice(start, end + 1));
}

export function parseStructured<T>(raw: unknown, schema: z.ZodType<T>): ParseResult<T> {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = jsonInText(raw);
    } catch (error) {
      return { ok: false, problem: `not JSON: ${(error as Error).message}` };
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problem: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  };
}

/** One model call's answer: a tool's input (an object) or the reply's text. */
export type RawAnswer = unknown;

/** Calls the model, repairs and validates its answer, and asks once more if it is still invalid. */
export async function extractValidated<T>(request: ExtractRequest<T>, ask: () => Promise<RawAnswer>): Promise<T> {
  let last: { raw: RawAnswer; problem: string } | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const raw = await ask();
    const parsed = parseStructured(raw, request.schema);
    if (parsed.ok) return parsed.value;
    last = { raw, problem: parsed.problem };
  }
  throw new ExtractionError(
    `${request.name}: the model's answer was invalid twice (${last!.problem})`,
    typeof last!.raw === 'string' ? last!.raw : JSON.stringify(last!.raw),
  );
}
