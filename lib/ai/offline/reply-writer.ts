/**
 * The offline chat: with no model configured there is no real answer to give, and this says so.
 * It still shows the memory working: the reply lists the memories retrieved for the message,
 * and plain requests about memory ("what do you remember about me?", "remember that…",
 * "forget that…") call the memory tools as a model would. With memory off, or in a temporary
 * chat, it says that nothing is remembered, as the system prompt tells a model to.
 */
import { MEMORY_OFF_NOTE, TEMPORARY_CHAT_NOTE } from '../../memory/system-prompt';
import { blocksOf, type ChatEvent, type ChatFn, type ChatRequest, type MemoryNote } from '../types';

export const OFFLINE_NOTICE = 'Offline mode: no language model is configured, so replies are not written by a model.';
export const OFFLINE_NOTICE_SHORT = 'Offline: no model writes the replies.';

/** Whether this chat has memory, as its system prompt says. */
export type OfflineMemory = 'on' | 'off' | 'temporary';

const memoryOf = (system: string): OfflineMemory =>
  system.includes(MEMORY_OFF_NOTE) ? 'off' : system.includes(TEMPORARY_CHAT_NOTE) ? 'temporary' : 'on';

const NOTHING_REMEMBERED: Record<Exclude<OfflineMemory, 'on'>, string> = {
  off: "Memory is off, so I don't use anything I know about you and won't remember anything you say here, this included. You can turn it on in the memory settings.",
  temporary: "This is a temporary chat: I don't use anything I know about you, and nothing you say here is remembered.",
};

export function offlineReply(memories: MemoryNote[], memory: OfflineMemory = 'on'): string {
  const remembered = memory !== 'on'
    ? NOTHING_REMEMBERED[memory]
    : memories.length
    ? `Here is what I remember about you that may matter here:\n\n${memories.map((m) => `- ${m.factText}`).join('\n')}`
    : "I don't remember anything relevant to this yet. Tell me about yourself (for example \"I live in Berlin\" or " +
      '"I prefer short answers") and I will remember it.';
  return (
    "I'm running offline: no language model is configured, so I can't write a real answer.\n\n" +
    `${remembered}\n\n` +
    'To get real answers, set `ANTHROPIC_API_KEY`, or point `OPENAI_BASE_URL` at a model server such as Ollama (see the README).'
  );
}

/** Requests about memory, and the tool call each one makes. */
const TOOL_REQUESTS: { pattern: RegExp; call: (match: RegExpExecArray) => { name: string; input: unknown } }[] = [
  { pattern: /\bwhat do you (?:remember|know) about me\b/i, call: () => ({ name: 'list_my_memories', input: {} }) },
  { pattern: /^(?:please\s+)?forget (?:that |about )?(.+?)[.!]?$/i, call: (m) => ({ name: 'forget', input: { description: m[1] } }) },
  { pattern: /^(?:please\s+)?remember (?:that )?(.+?)[.!]?$/i, call: (m) => ({ name: 'remember', input: { fact: m[1] } }) },
];

function toolCallFor(request: ChatRequest): Extract<ChatEvent, { type: 'tool_call' }> | null {
  const last = request.messages.at(-1);
  if (!request.tools?.length || last?.role !== 'user' || typeof last.content !== 'string') return null;
  for (const { pattern, call } of TOOL_REQUESTS) {
    const match = pattern.exec(last.content.trim());
    const { name, input } = match ? call(match) : { name: '', input: null };
    if (match && request.tools.some((t) => t.name === name)) return { type: 'tool_call', id: `offline-${name}`, name, input };
  }
  return null;
}

/**
 * A listed fact as the tool gives it to a model, "- [id] (type) text": the id and the type name
 * are for the model (to delete by id), not for a person reading the answer.
 */
const LISTED_FACT = /^- \[[0-9a-f-]+\] \([a-z_]+\) /gm;

/** After a tool ran: its result, in words for a person, is the answer. */
function toolResultsOf(request: ChatRequest): string | null {
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user') return null;
  const results = blocksOf(last).flatMap((b) => (b.type === 'tool_result' ? [b.content.replace(LISTED_FACT, '- ')] : []));
  return results.length ? results.join('\n\n') : null;
}

export const offlineChat: ChatFn = async function* (request) {
  const call = toolCallFor(request);
  if (call) {
    yield call;
    yield { type: 'done', stopReason: 'tool_use' };
    return;
  }
  const text = toolResultsOf(request) ?? offlineReply(request.memories ?? [], memoryOf(request.system));
  // Streamed word by word like a model's reply, so the UI behaves the same.
  for (const word of text.match(/\s*\S+/g) ?? []) {
    if (request.signal?.aborted) break;
    yield { type: 'text', text: word };
  }
  yield { type: 'done', stopReason: 'end_turn' };
};
