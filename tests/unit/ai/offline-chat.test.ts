import { describe, expect, it } from 'vitest';
import { offlineChat } from '@/lib/ai/offline/reply-writer';
import { buildSystemPrompt } from '@/lib/memory/system-prompt';

async function reply(memories: { factType: string; factText: string }[], system = '') {
  let text = '';
  let chunks = 0;
  let done = false;
  for await (const event of offlineChat({ system, messages: [{ role: 'user', content: 'What should I eat?' }], memories })) {
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

  it('with memory off, says nothing is remembered and never promises to remember', async () => {
    const { text } = await reply([], buildSystemPrompt({ memoryBlock: '', memory: 'off' }));
    expect(text).toContain("Memory is off, so I don't use anything I know about you and won't remember anything you say here");
    expect(text).not.toContain('I will remember');
  });

  it('in a temporary chat, says nothing is remembered', async () => {
    const { text } = await reply([], buildSystemPrompt({ memoryBlock: '', memory: 'temporary' }));
    expect(text).toContain('This is a temporary chat');
    expect(text).not.toContain('I will remember');
  });

  it('lists what it remembers without the ids and type names the tool gives a model', async () => {
    const listed = 'Remembered about the user:\n- [0250ab12-0000-4000-8000-000000000e89] (personal_context) Lives in Lisbon\n- [1a2b3c4d-0000-4000-8000-000000000001] (constraint) Is allergic to peanuts';
    let text = '';
    for await (const event of offlineChat({
      system: '',
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolUseId: 'offline-list_my_memories', content: listed }] }],
    })) {
      if (event.type === 'text') text += event.text;
    }
    expect(text).toBe('Remembered about the user:\n- Lives in Lisbon\n- Is allergic to peanuts');
  });
});
