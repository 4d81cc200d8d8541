/** Drives a fake vendor server in another process (the browser tests' view of it). */
import type { RecordedRequest, ScriptedReply } from './vendor-server';

export interface FakeVendorControl {
  script(...replies: ScriptedReply[]): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
  reset(options?: { delayMs?: number }): Promise<void>;
}

export function fakeVendorControl(url: string): FakeVendorControl {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`fake vendor ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  return {
    script: async (...replies) => void (await post('/_fake/script', { replies })),
    requests: async () => (await post('/_fake/requests', {})).requests as RecordedRequest[],
    reset: async (options = {}) => void (await post('/_fake/reset', options)),
  };
}
