/**
 * What a prompt carried, as LoCoMo dialogue ids, following the end-to-end protocol of
 * ../shared/bench/locomo/README.md: an evidence turn counts as found when it, or a fact extracted
 * from it, is among the first k items of what the prompt receives (facts and episodes together,
 * in prompt order); a question that names one speaker is asked of that speaker's user, one that
 * names both or neither of both, their prompts merged by rank.
 */

/** The memory a prepared turn puts in the prompt, in prompt order: `PreparedTurn` (lib/memory/prepare-turn.ts) fits it. */
export interface PromptMemory {
  promptItems: readonly ({ fact: { sourceTurnId: number | null } } | { episode: { turnId: number } })[];
}

/**
 * The stored turns a prompt's items come from, in prompt order (PreparedTurn.promptItems).
 * null: a fact with no source turn (it takes a place among the first k but can find nothing).
 */
export function promptTurnIds(prepared: PromptMemory): (number | null)[] {
  return prepared.promptItems.map((item) => ('fact' in item ? item.fact.sourceTurnId : item.episode.turnId));
}

/** How many facts and episodes a prompt carried. */
export function promptCounts(prepared: PromptMemory): { facts: number; episodes: number } {
  const facts = prepared.promptItems.filter((item) => 'fact' in item).length;
  return { facts, episodes: prepared.promptItems.length - facts };
}

/** Each prompt item's dialogue ids, in prompt order; `diaIdsByTurn`: stored turn id to dialogue ids. */
export function promptItems(prepared: PromptMemory, diaIdsByTurn: ReadonlyMap<number, readonly string[]>): string[][] {
  return promptTurnIds(prepared).map((turnId) => (turnId === null ? [] : [...(diaIdsByTurn.get(turnId) ?? [])]));
}

/** Ranked lists merged by rank: first of each, then second of each…, in the lists' order. */
export function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const merged: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let rank = 0; rank < longest; rank++) {
    for (const list of lists) if (rank < list.length) merged.push(list[rank]!);
  }
  return merged;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `question` names `speaker`: the name, or its first word, as whole words ("Caroline's" included). */
function names(question: string, speaker: string): boolean {
  const first = speaker.trim().split(/\s+/)[0] ?? speaker;
  return new RegExp(`\\b(${escape(speaker.trim())}|${escape(first)})\\b`, 'i').test(question);
}

/**
 * The speakers a question is asked of: the one it names; both when it names both or neither.
 * Indices into `speakers`, in their order.
 */
export function speakersAsked(question: string, speakers: readonly string[]): number[] {
  const named = speakers.flatMap((speaker, i) => (names(question, speaker) ? [i] : []));
  return named.length === 1 ? named : speakers.map((_, i) => i);
}
