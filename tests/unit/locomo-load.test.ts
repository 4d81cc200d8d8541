import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConversations, parseSessionDate, splitDiaIds } from '@/scripts/locomo/load';

/** A tiny made-up conversation in the shape of one LoCoMo conversation (no LoCoMo text). */
const dialogue = {
  speaker_a: 'Ada',
  speaker_b: 'Bo',
  session_1_date_time: '9:15 am on 3 March, 2024',
  session_1: [
    { speaker: 'Ada', dia_id: 'D1:1', text: 'I live in Lisbon now.' },
    { speaker: 'Bo', dia_id: 'D1:2', text: 'Lovely. Here is my loaf.', blip_caption: 'a photo of a sourdough loaf' },
    { speaker: 'Ada', dia_id: 'D1:3', text: 'I love hiking.' },
  ],
  session_10_date_time: '4:40 pm on 12 April, 2024',
  session_10: [
    { speaker: 'Bo', dia_id: 'D10:1', text: 'I started a new job.' },
    { speaker: 'Ada', dia_id: 'D10:2', text: 'Congratulations!' },
  ],
  session_2_date_time: '12:05 pm on 20 March, 2024',
  session_2: [{ speaker: 'Ada', dia_id: 'D2:1', text: 'Back from the hills.' }],
  // Dates of sessions that were never held appear in the data too.
  session_11_date_time: '1:00 pm on 1 May, 2024',
};
const observation = {
  session_1_observation: { Ada: [['Ada lives in Lisbon.', 'D1:1']], Bo: [['Bo bakes sourdough.', 'D1:2; D1:3']] },
  session_2_observation: { Ada: [], Bo: [] },
  session_10_observation: { Bo: [['Bo has a new job.', ['D10:1']]] },
};
const qa = [
  { question: 'Where does Ada live?', answer: 'Lisbon', evidence: ['D1:1'], category: 4 },
  { question: 'When did Bo start a new job?', answer: 'April 2024', evidence: ['D10:1; D1:2'], category: 2 },
  { question: 'What did Ada bake?', adversarial_answer: 'a loaf', evidence: ['D1:2'], category: 5 },
];
const perConversation = {
  ...dialogue,
  ...observation,
  session_1_summary: 'Ada moved; Bo baked.',
  events_session_1: { Ada: ['Moves to Lisbon.'], Bo: [], date: '3 March, 2024' },
  qa,
};
const published = [
  {
    sample_id: 'conv-x',
    conversation: dialogue,
    qa,
    observation,
    session_summary: { session_1_summary: 'Ada moved; Bo baked.' },
    event_summary: { events_session_1: { Ada: ['Moves to Lisbon.'], Bo: [], date: '3 March, 2024' } },
  },
  { sample_id: 'conv-y', conversation: { ...dialogue, speaker_a: 'Cy' }, qa: [], observation: {} },
];

const folder = mkdtempSync(path.join(tmpdir(), 'locomo-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function write(name: string, data: unknown): string {
  const file = path.join(folder, name);
  writeFileSync(file, JSON.stringify(data));
  return file;
}

describe('LoCoMo loader', () => {
  it('reads a per-conversation file: sessions in order and dated, observations, questions of categories 1-4', () => {
    const [conversation, ...rest] = loadConversations(write('26.json', perConversation));
    expect(rest).toEqual([]);
    expect(conversation!.name).toBe('26');
    expect(conversation!.speakers).toEqual(['Ada', 'Bo']);
    expect(conversation!.sessions.map((s) => [s.index, s.date?.toISOString()])).toEqual([
      [1, '2024-03-03T09:15:00.000Z'],
      [2, '2024-03-20T12:05:00.000Z'],
      [10, '2024-04-12T16:40:00.000Z'],
    ]);
    expect(conversation!.sessions[0]!.turns).toEqual([
      { speaker: 'Ada', diaId: 'D1:1', text: 'I live in Lisbon now.' },
      { speaker: 'Bo', diaId: 'D1:2', text: 'Lovely. Here is my loaf. [shares a photo of a sourdough loaf]' },
      { speaker: 'Ada', diaId: 'D1:3', text: 'I love hiking.' },
    ]);
    expect(conversation!.observations).toEqual([
      { text: 'Ada lives in Lisbon.', diaIds: ['D1:1'] },
      { text: 'Bo bakes sourdough.', diaIds: ['D1:2', 'D1:3'] },
      { text: 'Bo has a new job.', diaIds: ['D10:1'] },
    ]);
    expect(conversation!.questions).toEqual([
      { question: 'Where does Ada live?', category: 4, evidence: ['D1:1'] },
      { question: 'When did Bo start a new job?', category: 2, evidence: ['D10:1', 'D1:2'] },
    ]);
  });

  it('reads the published locomo10.json shape: an array split into conversations named by sample_id', () => {
    const conversations = loadConversations(write('locomo10.json', published));
    expect(conversations.map((c) => c.name)).toEqual(['conv-x', 'conv-y']);
    const [fromArray] = conversations;
    const [flat] = loadConversations(write('conv-x.json', perConversation));
    expect(fromArray).toEqual(flat);
    expect(conversations[1]!.speakers).toEqual(['Cy', 'Bo']);
    expect(conversations[1]!.questions).toEqual([]);
  });

  it('reads one published record on its own', () => {
    const [conversation] = loadConversations(write('one.json', published[0]));
    expect(conversation!.name).toBe('conv-x');
    expect(conversation!.sessions).toHaveLength(3);
  });

  it('parses session dates and splits joined dialogue ids', () => {
    expect(parseSessionDate('1:56 pm on 8 May, 2023')?.toISOString()).toBe('2023-05-08T13:56:00.000Z');
    expect(parseSessionDate('12:09 am on 13 September, 2023')?.toISOString()).toBe('2023-09-13T00:09:00.000Z');
    expect(parseSessionDate('12:30 pm on 1 Jan, 2024')?.toISOString()).toBe('2024-01-01T12:30:00.000Z');
    expect(parseSessionDate('sometime in spring')).toBeNull();
    expect(splitDiaIds('D8:6; D9:17')).toEqual(['D8:6', 'D9:17']);
    expect(splitDiaIds(['D1:2', 'D3:4,D5:6', 'D:1'])).toEqual(['D1:2', 'D3:4', 'D5:6']);
  });
});
