/** recall@k (share of a question's evidence found) and hit@k (any evidence found), per category. */

export const KS = [5, 8, 20] as const;

export interface Score {
  questions: number;
  recall: Record<number, number>;
  hit: Record<number, number>;
}

export class ScoreBoard {
  private sums = new Map<string, { n: number; recall: number[]; hit: number[] }>();

  /** Counts one question in each of `groups`; `retrieved`: each retrieved fact's dialogue ids, best first. */
  add(groups: string[], evidence: string[], retrieved: string[][]) {
    if (!evidence.length) return;
    for (const key of groups) {
      const sum = this.sums.get(key) ?? { n: 0, recall: KS.map(() => 0), hit: KS.map(() => 0) };
      sum.n += 1;
      KS.forEach((k, i) => {
        const found = new Set(retrieved.slice(0, k).flat());
        const covered = evidence.filter((id) => found.has(id)).length;
        sum.recall[i]! += covered / evidence.length;
        sum.hit[i]! += covered > 0 ? 1 : 0;
      });
      this.sums.set(key, sum);
    }
  }

  scores(): Record<string, Score> {
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return Object.fromEntries(
      [...this.sums].map(([key, s]) => [
        key,
        {
          questions: s.n,
          recall: Object.fromEntries(KS.map((k, i) => [k, round(s.recall[i]! / s.n)])),
          hit: Object.fromEntries(KS.map((k, i) => [k, round(s.hit[i]! / s.n)])),
        },
      ]),
    );
  }
}
