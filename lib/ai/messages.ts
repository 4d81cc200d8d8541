import { blocksOf, type ChatMessage } from './types';

/**
 * The conversation as strictly alternating turns starting with the user, as Anthropic requires:
 * a failed answer leaves two user messages in a row, and a summary fold may leave an assistant
 * turn first.
 */
export function alternatingTurns(messages: ChatMessage[]): ChatMessage[] {
  const result: ChatMessage[] = [];
  for (const message of messages) {
    const last = result.at(-1);
    if (!last && message.role === 'assistant') continue;
    if (last?.role !== message.role) result.push({ ...message });
    else if (typeof last.content === 'string' && typeof message.content === 'string') {
      last.content = `${last.content}\n\n${message.content}`;
    } else last.content = [...blocksOf(last), ...blocksOf(message)];
  }
  return result;
}
