/**
 * LoCoMo conversations (snap-research/locomo) as an evaluation set: the dialogue by session, the
 * gold observations and the questions. Two shapes are read:
 * - the published `data/locomo10.json`: an array of conversations, each
 *   `{sample_id, conversation: {speaker_a, speaker_b, session_N, session_N_date_time…}, qa,
 *   observation: {session_N_observation…}, session_summary, event_summary}`;
 * - one conversation per file, with those keys flattened to the top level (`speaker_a`,
 *   `session_N`, `session_N_observation`, `qa`…).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const questionItem = z
  .object({
    question: z.string(),
    evidence: z.array(z.unknown()).default([]),
    category: z.number().int(),
  })
  .catchall(z.unknown());

const flatConversation = z
  .object({
    speaker_a: z.string(),
    speaker_b: z.string(),
    qa: z.array(questionItem),
  })
  .catchall(z.unknown());

const turnItem = z
  .object({
    speaker: z.string(),
    dia_id: z.string(),
    text: z.string(),
    blip_caption: z.string().nullish(),
  })
  .catchall(z.unknown());

const observations = z.record(z.string(), z.array(z.tuple([z.string(), z.unknown()])));

/** The published file's record: the dialogue nested under `conversation`, observations under `observation`. */
const publishedConversation = z
  .object({
    sample_id: z.union([z.string(), z.number()]).optional(),
    conversation: z.record(z.string(), z.unknown()),
    qa: z.array(z.unknown()),
    observation: z.record(z.string(), z.unknown()).optional(),
    session_summary: z.record(z.string(), z.unknown()).optional(),
    event_summary: z.record(z.string(), z.unknown()).optional(),
  })
  .catchall(z.unknown());

export interface Observation {
  text: string;
  diaIds: string[];
}

export interface Question {
  question: string;
  category: number;
  evidence: string[];
}

export interface Turn {
  speaker: string;
  diaId: string;
  /** What was said; a shared photo is described by its caption ("… [shares a photo of a loaf]"). */
  text: string;
}

export interface Session {
  /** N of `session_N`. */
  index: number;
  /** `session_N_date_time` as written ("1:56 pm on 8 May, 2023"). */
  dateTime: string;
  /** The same, parsed (as UTC); null when it could not be read. */
  date: Date | null;
  turns: Turn[];
}

export interface Conversation {
  name: string;
  /** speaker_a, speaker_b. */
  speakers: [string, string];
  /** In session order; only sessions that have turns. */
  sessions: Session[];
  observations: Observation[];
  questions: Question[];
}

/** Dialogue ids are sometimes joined ("D8:6; D9:17"). */
export function splitDiaIds(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((v) => String(v).split(/[;,\s]+/)).filter((id) => /^D\d+:\d+$/.test(id));
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "1:56 pm on 8 May, 2023" as a UTC date; null when it does not read as one. */
export function parseSessionDate(text: string): Date | null {
  const match = /(\d{1,2}):(\d{2})\s*([ap]\.?m\.?)?\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(text);
  if (!match) return null;
  const [, h, m, half, day, monthName, year] = match;
  const month = MONTHS.findIndex((name) => name.startsWith(monthName!.toLowerCase().slice(0, 3)));
  if (month < 0) return null;
  let hour = Number(h);
  if (half) hour = (hour % 12) + (/^p/i.test(half) ? 12 : 0);
  return new Date(Date.UTC(Number(year), month, Number(day), hour, Number(m)));
}

/** One conversation; questions of categories 1-4 only (5, unanswerable, is left out, as papers do). */
function fromFlat(record: unknown, name: string): Conversation {
  const data = flatConversation.parse(record);
  const facts: Observation[] = [];
  const sessions: Session[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (/^session_\d+_observation$/.test(key)) {
      for (const items of Object.values(observations.parse(value))) {
        for (const [text, ids] of items) facts.push({ text, diaIds: splitDiaIds(ids) });
      }
    }
    const session = /^session_(\d+)$/.exec(key);
    if (session && Array.isArray(value) && value.length) {
      const dateTime = typeof data[`${key}_date_time`] === 'string' ? (data[`${key}_date_time`] as string) : '';
      sessions.push({
        index: Number(session[1]),
        dateTime,
        date: parseSessionDate(dateTime),
        turns: z
          .array(turnItem)
          .parse(value)
          .map((t) => ({
            speaker: t.speaker,
            diaId: t.dia_id,
            text: t.blip_caption ? `${t.text} [shares ${t.blip_caption}]` : t.text,
          })),
      });
    }
  }
  sessions.sort((a, b) => a.index - b.index);
  return {
    name,
    speakers: [data.speaker_a, data.speaker_b],
    sessions,
    observations: facts,
    questions: data.qa
      .filter((q) => q.category >= 1 && q.category <= 4)
      .map((q) => ({ question: q.question, category: q.category, evidence: q.evidence.flatMap(splitDiaIds) })),
  };
}

/** The published record flattened to the per-conversation shape. */
function flatten(record: z.infer<typeof publishedConversation>) {
  return {
    ...record.conversation,
    ...record.observation,
    ...record.session_summary,
    ...record.event_summary,
    qa: record.qa,
  };
}

/**
 * Every conversation of a parsed file: an array (the published locomo10.json, each named by its
 * sample_id), one published record, or one flat conversation named `name`.
 */
export function parseConversations(data: unknown, name: string): Conversation[] {
  if (Array.isArray(data)) {
    return data.map((item, i) => {
      const record = publishedConversation.parse(item);
      return fromFlat(flatten(record), record.sample_id === undefined ? `${name}#${i + 1}` : String(record.sample_id));
    });
  }
  const published = publishedConversation.safeParse(data);
  if (published.success) {
    const record = published.data;
    return [fromFlat(flatten(record), record.sample_id === undefined ? name : String(record.sample_id))];
  }
  return [fromFlat(data, name)];
}

/** The conversations of one file, named by sample_id (locomo10.json) or by the file's base name. */
export function loadConversations(file: string): Conversation[] {
  return parseConversations(JSON.parse(readFileSync(file, 'utf8')), path.basename(file, path.extname(file)));
}

export const CATEGORY_NAMES: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};
