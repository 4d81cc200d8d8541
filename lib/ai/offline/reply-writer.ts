/**
 * The offline chat: with no model configured there is no real answer to give, and this says so.
 * It still shows the memory working: the reply lists the memories retrieved for the message.
 */
import type { ChatFn, MemoryNote } from '../types';

export const OFFLINE_NOTICE = 'Offline mode: no language model is configured, so replies are not written by a model.';

export function offlineReply(memories: MemoryNote[]): string {
  const remembered = memories.length
    ? `Here is what I remember that looks relevant to your message:\n\n${memories.map((m) => `- ${m.factText}`).join('\n')}`
    : "I don't remember anything relevant to this yet. Tell me about yourself (for example \"I live in Berlin\" or " +
      '"I prefer short answers") and I will remember it.';
  return (
    "I'm running offline: no language model is configured, so I can't write a real answer.\n\n" +
    `${remembered}\n\n` +
    'To get real answers, set `ANTHROPIC_API_KEY`, or point `OPENAI_BASE_URL` at a model server such as Ollama (see the README).'
  );
}

export const offlineChat: ChatFn = async function* (request) {
  // Streamed word by word like a model's reply, so the UI behaves the same.
  for (const word of offlineReply(request.memories ?? []).match(/\s*\S+/g) ?? []) {
    if (request.signal?.aborted) break;
    yield { type: 'text', text: word };
  }
  yield { type: 'done', stopReason: 'end_turn' };
};
