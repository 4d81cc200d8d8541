/**
 * recall@k (share of a question's evidence found) and hit@k (any evidence found), per group, and
 * how many items were there to look at (a prompt may hold fewer than k).
 */

export const KS = [5, 8, 20] as const;

export interface Score {
  questions: number;
  recall: Record<number, number>;
  hit: Record<number, number>;
  /** Mean number of items retrieved (or carried by the prompt) per question. */
  items: number;
  /** Share of questions with fewer than k items. */
  short: Record<number, number>;
}

export class ScoreBoard {
  private sums = new Map<string, { n: number; recall: number[]; hit: number[]; items: number; short: number[] }>();

  /** Counts one question in each of `groups`; `retrieved`: each retrieved item's dialogue ids, best first. */
  add(groups: string[], evidence: string[], retrieved: string[][]) {
    if (!evidence.length) return;
    for (const key of groups) {
      const zeros = () => KS.map(() => 0);
      const sum = this.sums.get(key) ?? { n: 0, recall: zeros(), hit: zeros(), items: 0, short: zeros() };
      sum.n += 1;
      sum.items += retrieved.length;
      KS.forEach((k, i) => {
        const found = new Set(retrieved.slice(0, k).flat());
        const covered = evidence.filter((id) => found.has(id)).length;
        sum.recall[i]! += covered / evidence.length;
        sum.hit[i]! += covered > 0 ? 1 : 0;
        sum.short[i]! += retrieved.length < k ? 1 : 0;
      });
      this.sums.set(key, sum);
    }
  }

  scores(): Record<string, Score> {
    const round = (x: number) => Math.round(x * 1000) / 1000;
    const perK = (values: number[], n: number) => Object.fromEntries(KS.map((k, i) => [k, round(values[i]! / n)]));
    return Object.fromEntries(
      [...this.sums].map(([key, s]) => [
        key,
        { questions: s.n, recall: perK(s.recall, s.n), hit: perK(s.hit, s.n), items: round(s.items / s.n), short: perK(s.short, s.n) },
      ]),
    );
  }
}
