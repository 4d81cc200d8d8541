/** LoCoMo conversations (snap-research/locomo) as an evaluation set: observations and questions. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const conversationFile = z
  .object({
    qa: z.array(
      z.object({
        question: z.string(),
        evidence: z.array(z.string()).default([]),
        category: z.number().int(),
      }),
    ),
  })
  .catchall(z.unknown());

const observations = z.record(z.string(), z.array(z.tuple([z.string(), z.unknown()])));

export interface Observation {
  text: string;
  diaIds: string[];
}

export interface Question {
  question: string;
  category: number;
  evidence: string[];
}

export interface Conversation {
  name: string;
  observations: Observation[];
  questions: Question[];
}

/** Dialogue ids are sometimes joined ("D8:6; D9:17"). */
export function splitDiaIds(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => String(v).split(/[;,\s]+/)).filter((id) => /^D\d+:\d+$/.test(id));
}

/** Questions of categories 1-4; category 5 (unanswerable) is left out, as papers do. */
export function loadConversation(file: string): Conversation {
  const data = conversationFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const facts: Observation[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!/^session_\d+_observation$/.test(key)) continue;
    for (const items of Object.values(observations.parse(value))) {
      for (const [text, ids] of items) facts.push({ text, diaIds: splitDiaIds(ids) });
    }
  }
  return {
    name: path.basename(file, path.extname(file)),
    observations: facts,
    questions: data.qa
      .filter((q) => q.category >= 1 && q.category <= 4)
      .map((q) => ({ question: q.question, category: q.category, evidence: q.evidence.flatMap(splitDiaIds) })),
  };
}

export const CATEGORY_NAMES: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};
