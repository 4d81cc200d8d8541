import { expect, type Page } from '@playwright/test';

/** The chat screen: sidebar, conversation and composer, by their data-testid. */
export class ChatPage {
  constructor(readonly page: Page) {}

  readonly input = () => this.page.getByTestId('message-input');
  readonly sendButton = () => this.page.getByTestId('send-button');
  readonly stopButton = () => this.page.getByTestId('stop-button');
  readonly retryButton = () => this.page.getByTestId('retry-button');
  readonly composerError = () => this.page.getByTestId('composer-error');
  readonly userMessages = () => this.page.getByTestId('message-user');
  readonly answers = () => this.page.getByTestId('message-assistant');
  readonly lastAnswer = () => this.answers().last();
  readonly memoryUpdated = () => this.page.getByTestId('memory-updated');
  /** The "Memory updated" heading link, to the memory page. */
  readonly memoryUpdatedLink = () => this.page.getByTestId('memory-updated-link');
  /** Each fact a message taught, listed under "Memory updated" (`memoryReplaced`: what it replaced). */
  readonly memoryLearned = () => this.page.getByTestId('memory-learned');
  readonly memoryReplaced = () => this.page.getByTestId('memory-replaced');
  readonly memoryChanged = () => this.page.getByTestId('memory-changed');
  readonly memoryOffNotice = () => this.page.getByTestId('memory-off-notice');
  readonly temporaryToggle = () => this.page.getByTestId('temporary-toggle');
  readonly temporaryNotice = () => this.page.getByTestId('temporary-notice');
  /** The polite live region screen readers hear ("Memory updated: …"). */
  readonly announcer = () => this.page.getByTestId('chat-announcer');
  /** The sidebar as a drop-down, on a phone. */
  readonly mobileMenu = () => this.page.getByTestId('mobile-menu');
  readonly memoriesUsed = () => this.page.getByTestId('memories-used');
  readonly turnError = () => this.page.getByTestId('turn-error');
  readonly offlineNotice = () => this.page.getByTestId('offline-notice');
  readonly currentUser = () => this.page.getByTestId('current-user').last();
  readonly engine = () => this.page.getByTestId('engine').last();
  readonly conversationLinks = () => this.page.locator('aside').getByTestId('conversation-link');

  async open(path = '/') {
    await this.page.goto(path);
  }

  async newChat() {
    await this.page.locator('aside').getByTestId('new-chat').click();
    await expect(this.page).toHaveURL(/\/$/);
    await expect(this.page.getByTestId('empty-chat')).toBeVisible();
  }

  /** Types a message and sends it with Enter, as people do. */
  async send(message: string) {
    await this.input().fill(message);
    await this.input().press('Enter');
  }

  /** Sends a message and waits until its answer has finished streaming. */
  async ask(message: string) {
    const answered = await this.answers().count();
    await this.send(message);
    await expect(this.answers()).toHaveCount(answered + 1);
    await expect(this.lastAnswer()).not.toHaveAttribute('data-status', 'streaming', { timeout: 15_000 });
  }
}

/** The sign-up and sign-in forms. */
export class AuthPage {
  constructor(readonly page: Page) {}

  async signUp(email: string, password: string) {
    await this.page.goto('/sign-up');
    await this.submit(email, password);
  }

  async signIn(email: string, password: string) {
    await this.page.goto('/sign-in');
    await this.submit(email, password);
  }

  async submit(email: string, password: string) {
    await this.page.getByTestId('email-input').fill(email);
    await this.page.getByTestId('password-input').fill(password);
    await this.page.getByTestId('auth-submit').click();
  }
}

/** "What I remember about you". */
export class MemorySettingsPage {
  constructor(readonly page: Page) {}

  readonly facts = () => this.page.getByTestId('fact');
  readonly factTexts = () => this.page.getByTestId('fact-text');
  readonly fact = (text: string) => this.facts().filter({ has: this.page.getByTestId('fact-text').getByText(text, { exact: true }) });

  async open(query = '') {
    await this.page.goto(`/settings/memory${query}`);
  }

  /** A guest's first message (so the account exists), then memory turned off on this page. */
  async turnMemoryOffAfterFirstMessage() {
    const chat = new ChatPage(this.page);
    await chat.open();
    await chat.ask('Hello');
    await this.open();
    await this.setMemory(false);
  }

  async setMemory(enabled: boolean) {
    // The switch saves as it is toggled; the status line says when the change is stored.
    await this.page.getByTestId('memory-switch').setChecked(enabled);
    await expect(this.page.getByTestId('memory-switch-status')).toContainText(`Saved: memory is ${enabled ? 'on' : 'off'}`);
  }
}
