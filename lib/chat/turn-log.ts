/**
 * One structured log line per chat turn (JSON on stdout), so a deployer sees faults and slow
 * turns before users report them: how it ended, where the time went, the tokens, the retries.
 * Never the text of a message or a memory.
 */
import type { TokenUsage } from '../ai/types';
import { modelFaultOf } from '../ai/errors';

export interface TurnLogEntry {
  conversationId: string | null;
  userTurnId: number | null;
  answerId: number | null;
  outcome: 'complete' | 'failed' | 'interrupted';
  /** For a failed answer: what failed, as a category (never the vendor's raw message). */
  failure?: unknown;
  /** From the request's start: the message stored and the prompt ready; the first text; the end. */
  ms: { beforeAnswer?: number; firstText?: number; total: number };
  tokens?: TokenUsage;
  retries: number;
  replyChars: number;
  memoriesUsed?: number;
  excerptsUsed?: number;
}

const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));

export function logTurn({ failure, ms, ...entry }: TurnLogEntry): void {
  const line = {
    level: entry.outcome === 'failed' ? 'error' : 'info',
    event: 'chat.turn',
    ...entry,
    ...(failure !== undefined && { fault: modelFaultOf(failure).fault }),
    ms: { beforeAnswer: round(ms.beforeAnswer), firstText: round(ms.firstText), total: round(ms.total) },
  };
  console.log(JSON.stringify(line));
}
