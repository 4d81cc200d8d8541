/**
 * The offline conversation summary: without a model, the older turns are condensed by keeping
 * the start of each user message, newest last, within a fixed length. Crude but bounded, and it
 * keeps what the user asked about in view.
 */

const PER_TURN = 160;
const MAX_SUMMARY = 2000;

export function summarizeByExcerpts(previousSummary: string | null, turns: { role: string; content: string }[]): string {
  const excerpts = turns
    .filter((t) => t.role === 'user')
    .map((t) => {
      const text = t.content.replace(/\s+/g, ' ').trim();
      return `- The user said: ${text.length > PER_TURN ? `${text.slice(0, PER_TURN)}…` : text}`;
    });
  const summary = [previousSummary, ...excerpts].filter(Boolean).join('\n');
  // Keep the newest part when it grows too long.
  return summary.length > MAX_SUMMARY ? `…${summary.slice(summary.length - MAX_SUMMARY)}` : summary || 'Nothing yet.';
}
