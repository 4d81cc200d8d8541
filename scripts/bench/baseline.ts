/**
 * `--baseline FILE`: a benchmark's report beside the one an earlier run wrote with `--json` (the
 * previous code, or other settings), figure by figure, so a claim is a ratio of two runs on the
 * same machine rather than a number from another day.
 */
import { readFileSync } from 'node:fs';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The numbers of a report by their path ("turnMs.p95"), for the keys `wanted` names. */
function figures(report: Json, wanted: (key: string) => boolean, prefix = ''): Map<string, number> {
  const found = new Map<string, number>();
  if (report === null || typeof report !== 'object') return found;
  // A list of runs is keyed by each run's engine where it names one, so the runs pair up by engine.
  const entries = Array.isArray(report)
    ? report.map((item, i): [string, Json] => [isRecord(item) && typeof item.engine === 'string' ? item.engine : String(i), item])
    : Object.entries(report);
  for (const [key, value] of entries) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'number' && wanted(key)) found.set(path, value);
    else for (const [p, v] of figures(value, wanted, path)) found.set(p, v);
  }
  return found;
}

const isRecord = (value: Json): value is { [key: string]: Json } => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Latency and throughput figures; counts of what was seeded or done are not compared. */
export const TIMING_KEYS = new Set(['p50', 'p95', 'p99', 'mean', 'perSecond']);

/**
 * Prints each figure of `report` named by `keys` beside the baseline's (new / old as a ratio).
 * Figures only one side has are listed as such, so a renamed figure is not silently dropped.
 */
export function printBaselineComparison(report: unknown, baselineFile: string, keys: ReadonlySet<string>) {
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Json;
  const wanted = (key: string) => keys.has(key);
  const now = figures(report as Json, wanted);
  const before = figures(baseline, wanted);
  console.log(`\nBeside the baseline ${baselineFile} (ratio = now / baseline; below 1 is faster for times):\n`);
  console.log('| figure | baseline | now | ratio |');
  console.log('|---|--:|--:|--:|');
  for (const [path, value] of now) {
    const old = before.get(path);
    const ratio = old === undefined || old === 0 ? '' : (value / old).toFixed(2);
    console.log(`| ${path} | ${old ?? 'absent'} | ${value} | ${ratio} |`);
  }
  for (const [path, old] of before) if (!now.has(path)) console.log(`| ${path} | ${old} | absent | |`);
}
