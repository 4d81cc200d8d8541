/** Latency summaries for the benchmark scripts. */

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  perSecond: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

export function summarize(samplesMs: number[], wallMs = samplesMs.reduce((a, b) => a + b, 0)): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
    perSecond: round((sorted.length * 1000) / (wallMs || 1)),
  };
}

/** Runs `fn` n times in a row and summarizes the durations. */
export async function measure(n: number, fn: (i: number) => Promise<unknown>): Promise<LatencySummary> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return summarize(samples, performance.now() - started);
}

export function printTable(title: string, rows: Record<string, LatencySummary>) {
  console.log(`\n${title}\n`);
  console.log('| operation | n | p50 ms | p95 ms | p99 ms | mean ms | per s |');
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  for (const [name, s] of Object.entries(rows)) {
    console.log(`| ${[name, s.n, s.p50, s.p95, s.p99, s.mean, s.perSecond].join(' | ')} |`);
  }
}

const mb = (bytes: number) => Math.round(bytes / 1048576);

/** Peak resident memory of this process since it started, in MB (the kernel's count). */
export const processPeakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/**
 * Samples resident memory until `stop`, which answers the peak seen in MB: the kernel's peak
 * covers the whole process, so one phase's own peak has to be sampled. A long synchronous
 * stretch (PGlite runs in-process) is sampled at its ends only.
 */
export function trackPeakRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return mb(peak);
    },
  };
}
