import { expect, type Locator, type Page } from '@playwright/test';
import { ChatPage, MemorySettingsPage } from './chat';
import { fakeVendor } from './fake-vendor';

/** The memory page driven by keyboard only: Tab to a control, and where focus is after an action. */
export class MemoryKeyboard {
  readonly settings: MemorySettingsPage;

  constructor(readonly page: Page) {
    this.settings = new MemorySettingsPage(page);
  }

  readonly undoToast = () => this.page.getByTestId('undo-toast');
  readonly undoButton = () => this.page.getByTestId('undo-delete');
  readonly announcement = () => this.page.getByTestId('memory-announcement');
  readonly heading = () => this.page.getByTestId('memories-heading');

  /** Presses Tab (Shift+Tab when `back`) until `target` has focus; fails after `max` presses. */
  async tabTo(target: Locator, { max = 60, back = false } = {}) {
    for (let i = 0; i < max; i++) {
      if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return i;
      await this.page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`${target} not reached in ${max} Tabs`);
  }

  /** The focused element's data-testid and the text of the fact it belongs to, if any. */
  async focused(): Promise<{ tag: string; testId: string | null; fact: string | null }> {
    return this.page.evaluate(() => {
      const el = document.activeElement;
      return {
        tag: el?.tagName ?? 'NONE',
        testId: el?.getAttribute('data-testid') ?? null,
        fact: el?.closest('[data-testid="fact"]')?.querySelector('[data-testid="fact-text"]')?.textContent ?? null,
      };
    });
  }

  /** After an action, focus is somewhere a keyboard user can go on from: never the page's body. */
  async expectFocusKept() {
    await expect.poll(async () => (await this.focused()).tag).not.toMatch(/^(BODY|NONE)$/);
  }

  /** Focus is on the Edit button of the fact that reads `text`. */
  async expectFocusOnFact(text: string) {
    await expect.poll(() => this.focused()).toEqual({ tag: 'BUTTON', testId: 'fact-edit', fact: text });
  }
}

export type TaughtFact = { fact_type: string; fact_text: string; confidence?: number; supersedes?: string[] };

/** Says something in a new chat; the fake vendor extracts `facts` from it (vendor project only), and it waits until they are stored. */
export async function teachFacts(page: Page, message: string, facts: TaughtFact[]) {
  await fakeVendor.script(
    { match: { forcedTool: 'none' }, text: 'Noted.' },
    {
      match: { forcedTool: 'record_facts' },
      toolCalls: [{ name: 'record_facts', input: { facts: facts.map((f) => ({ confidence: 0.9, supersedes: [], ...f })) } }],
    },
  );
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask(message);
  if (facts.length) await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
}
