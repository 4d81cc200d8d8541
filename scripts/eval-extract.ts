/**
 * Precision and recall of the offline rule extractor (lib/ai/offline/fact-rules.ts) on LoCoMo
 * dialogue, against hand labels kept in scripts/extract-labels/labels.json (see the README there
 * for how the turns were chosen and labelled). Every turn of both speakers is read as a user
 * message and run through extractFactsByRules(text, []).
 *
 *   npm run eval:extract -- ../shared/bench/locomo/26.json ../shared/bench/locomo/30.json ../shared/bench/locomo/44.json
 *     [--labels scripts/extract-labels/labels.json] [--tuned 26.json] [--verbose]
 *
 * Precision = extracted facts that match a label of their turn / all extracted facts, over EVERY
 * turn where the rules fire: a fact from a turn nobody labelled counts as wrong, so a new rule
 * cannot look good by firing where there are no labels (those turns are listed, to be labelled).
 * Recall = labelled facts that were extracted / labelled facts, over all labelled turns, and
 * again over the systematic sample alone (every 7th turn), which the rules did not choose.
 *
 * Match: each side is normalised (lower case, curly apostrophes straightened, anything but
 * letters, digits and apostrophes made a space; "Loves"/"Enjoys" at the start read as "Likes";
 * the words a, an, the, my, his, her, their, own dropped) and the strings must then be equal.
 * A label may list alternative wordings of one fact; an extracted fact consumes at most one label
 * fact and a label fact is matched at most once.
 *
 * The dialogue is read at run time and never printed unless --verbose is given; the labels hold
 * only dia_ids and fact texts (LoCoMo is CC BY-NC: its text stays out of the repository).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extractFactsByRules } from '@/lib/ai/offline/fact-rules';
import { parseCommand } from './cli';

/** Every Nth turn of a file (0-based, in session order) is in the systematic sample. */
export const SAMPLE_EVERY = 7;

type LabelFact = string | string[];
type Labels = Record<string, Record<string, LabelFact[]>>;

interface Turn {
  speaker: string;
  dia_id: string;
  text: string;
}

const cli = parseCommand({
  name: 'npm run eval:extract',
  positionals: 'FILE.json...',
  summary: `Precision and recall of the offline rule extractor on LoCoMo dialogue (FILE: one conversation,
e.g. ../shared/bench/locomo/26.json), against the hand labels of scripts/extract-labels.`,
  options: {
    labels: { type: 'string', default: path.join(import.meta.dirname, 'extract-labels', 'labels.json'), value: 'PATH', help: 'The hand labels' },
    tuned: { type: 'string', default: '26.json', value: 'FILE,...', help: 'Files the rules were tuned on (reported apart)' },
    verbose: { type: 'boolean', default: false, help: 'Print the dialogue of misses and unlabelled turns' },
  },
});
const { values } = cli;
if (!cli.positionals.length) cli.fail('name at least one LoCoMo file');
const files = cli.files([...cli.positionals, values.labels]).slice(0, -1);

const labels = JSON.parse(readFileSync(values.labels, 'utf8')) as Labels;
const tuned = new Set(values.tuned.split(',').map((s) => s.trim()).filter(Boolean));

function turnsOf(file: string): Turn[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const conversation = (data.conversation ?? data) as Record<string, unknown>;
  return Object.keys(conversation)
    .filter((k) => /^session_\d+$/.test(k))
    .sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]))
    .flatMap((k) => conversation[k] as Turn[]);
}

export function normaliseFact(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/^\s*(?:loves|enjoys)\b/, 'likes')
    .split(/\s+/)
    .filter((w) => w && !['a', 'an', 'the', 'my', 'his', 'her', 'their', 'own'].includes(w))
    .join(' ');
}

interface Tally {
  turns: number;
  fired: number;
  labelledTurns: number;
  extracted: number;
  correct: number;
  labelFacts: number;
  found: number;
  sampleLabelFacts: number;
  sampleFound: number;
  unlabelledFired: string[];
  missingSample: string[];
}

const empty = (): Tally => ({
  turns: 0,
  fired: 0,
  labelledTurns: 0,
  extracted: 0,
  correct: 0,
  labelFacts: 0,
  found: 0,
  sampleLabelFacts: 0,
  sampleFound: 0,
  unlabelledFired: [],
  missingSample: [],
});

function add(into: Tally, t: Tally) {
  for (const k of ['turns', 'fired', 'labelledTurns', 'extracted', 'correct', 'labelFacts', 'found', 'sampleLabelFacts', 'sampleFound'] as const) {
    into[k] += t[k];
  }
  into.unlabelledFired.push(...t.unlabelledFired);
  into.missingSample.push(...t.missingSample);
}

function evaluate(file: string): Tally {
  const base = path.basename(file);
  const fileLabels = labels[base] ?? {};
  const tally = empty();
  turnsOf(file).forEach((turn, index) => {
    tally.turns++;
    const inSample = index % SAMPLE_EVERY === 0;
    const expected = fileLabels[turn.dia_id];
    const facts = extractFactsByRules(turn.text, []).map((f) => f.fact_text);
    if (facts.length) tally.fired++;
    if (inSample && !expected) tally.missingSample.push(`${base}:${turn.dia_id}`);
    if (!expected) {
      tally.extracted += facts.length;
      if (facts.length) {
        tally.unlabelledFired.push(`${base}:${turn.dia_id}`);
        if (values.verbose) console.log(`  ${base}:${turn.dia_id} UNLABELLED ${JSON.stringify(facts)}\n    > ${turn.text}`);
      }
      return;
    }
    tally.labelledTurns++;
    const alternatives = expected.map((f) => (Array.isArray(f) ? f : [f]).map(normaliseFact));
    const used = new Set<number>();
    const verdicts: string[] = [];
    for (const fact of facts) {
      const n = normaliseFact(fact);
      const hit = alternatives.findIndex((alts, i) => !used.has(i) && alts.includes(n));
      tally.extracted++;
      if (hit >= 0) {
        used.add(hit);
        tally.correct++;
      }
      verdicts.push(`${hit >= 0 ? 'ok ' : 'BAD'} ${fact}`);
    }
    tally.labelFacts += expected.length;
    tally.found += used.size;
    if (inSample) {
      tally.sampleLabelFacts += expected.length;
      tally.sampleFound += used.size;
    }
    if (values.verbose && (facts.length || expected.length)) {
      const missed = expected.filter((_, i) => !used.has(i)).map((f) => (Array.isArray(f) ? f[0] : f));
      console.log(`  ${base}:${turn.dia_id}${inSample ? ' (sample)' : ''}`);
      for (const v of verdicts) console.log(`    ${v}`);
      for (const m of missed) console.log(`    miss ${m}`);
      if (facts.length) console.log(`    > ${turn.text}`);
    }
  });
  return tally;
}

const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : null);
const summary = (t: Tally) => ({
  turns: t.turns,
  fired_turns: t.fired,
  labelled_turns: t.labelledTurns,
  extracted: t.extracted,
  correct: t.correct,
  precision: ratio(t.correct, t.extracted),
  label_facts: t.labelFacts,
  recall: ratio(t.found, t.labelFacts),
  sample_recall: ratio(t.sampleFound, t.sampleLabelFacts),
  unlabelled_fired: t.unlabelledFired.length,
});

const perFile: Record<string, ReturnType<typeof summary>> = {};
const overall = empty();
const unseen = empty();
const tunedTally = empty();
for (const file of files) {
  const t = evaluate(file);
  const base = path.basename(file);
  perFile[base] = summary(t);
  add(overall, t);
  add(tuned.has(base) ? tunedTally : unseen, t);
  if (t.missingSample.length) console.warn(`${base}: ${t.missingSample.length} sampled turns have no label: ${t.missingSample.join(' ')}`);
  if (t.unlabelledFired.length) console.warn(`${base}: rules fired on unlabelled turns (counted wrong): ${t.unlabelledFired.join(' ')}`);
}

const pct = (x: number | null) => (x === null ? '   -  ' : x.toFixed(3).padStart(6));
console.log(`\n${'file'.padEnd(22)} turns fired labelled extracted correct precision recall sample-recall`);
const row = (name: string, s: ReturnType<typeof summary>) =>
  console.log(
    `${name.padEnd(22)} ${String(s.turns).padStart(5)} ${String(s.fired_turns).padStart(5)} ${String(s.labelled_turns).padStart(8)} ${String(s.extracted).padStart(9)} ${String(s.correct).padStart(7)}    ${pct(s.precision)} ${pct(s.recall)}        ${pct(s.sample_recall)}`,
  );
for (const [name, s] of Object.entries(perFile)) row(`${name}${tuned.has(name) ? ' (tuned)' : ' (unseen)'}`, s);
if (tunedTally.turns && unseen.turns) {
  row('tuned', summary(tunedTally));
  row('unseen', summary(unseen));
}
row('overall', summary(overall));
console.log(
  JSON.stringify({
    eval: 'extract',
    tuned: [...tuned],
    files: perFile,
    ...(tunedTally.turns && unseen.turns ? { tuned_total: summary(tunedTally), unseen_total: summary(unseen) } : {}),
    overall: summary(overall),
  }),
);
