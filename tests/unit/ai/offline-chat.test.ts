import { describe, expect, it } from 'vitest';
import { offlineChat } from '@/lib/ai/offline/reply-writer';

async function reply(memories: { factType: string; factText: string }[]) {
  let text = '';
  let chunks = 0;
  let done = false;
  for await (const event of offlineChat({ system: '', messages: [{ role: 'user', content: 'What should I eat?' }], memories })) {
    if (event.type === 'text') {
      text += event.text;
      chunks++;
    }
    if (event.type === 'done') done = true;
  }
  return { text, chunks, done };
}

describe('offline reply writer', () => {
  it('says it is offline and shows the memories retrieved for the message, streamed', async () => {
    const { text, chunks, done } = await reply([
      { factType: 'constraint', factText: 'Is allergic to peanuts' },
      { factType: 'preference', factText: 'Likes Thai food' },
    ]);
    expect(text).toMatch(/^I'm running offline/);
    expect(text).toContain('- Is allergic to peanuts\n- Likes Thai food');
    expect(text).toContain('ANTHROPIC_API_KEY');
    expect(chunks).toBeGreaterThan(10);
    expect(done).toBe(true);
  });

  it('invites the user to share something when it remembers nothing relevant', async () => {
    expect((await reply([])).text).toContain("I don't remember anything relevant to this yet");
  });
});
