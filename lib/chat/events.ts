/**
 * What the chat route streams to the browser: one JSON event per line (NDJSON). Shared by the
 * route and the client, so both sides agree on the shape; nothing here touches the server.
 */
import type { FactRef } from '../memory/fact-ref';

/** A fact as the page shows it (the name the chat components know it by). */
export type UsedMemory = FactRef;

/** Ids are null in a temporary chat, which stores nothing. */
export type TurnEvent =
  | { type: 'start'; conversationId: string | null; userTurnId: number | null; memories: FactRef[]; offline: boolean }
  | { type: 'text'; text: string }
  /** The model provider failed before the answer began; it is asked again in `inSeconds`. */
  | { type: 'retrying'; inSeconds: number; reason: string }
  /** A memory tool changed what Engram remembers. */
  | { type: 'memory'; action: 'remembered' | 'forgot'; facts: FactRef[] }
  | { type: 'done'; assistantTurnId: number | null; status: 'complete' | 'interrupted' }
  | { type: 'error'; message: string; assistantTurnId: number | null };

export function encodeEvent(event: TurnEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** Reads a streamed response body back into events, as lines complete. */
export async function* decodeEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<TurnEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as TurnEvent;
    }
  }
}
