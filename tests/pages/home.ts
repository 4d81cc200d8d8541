import { expect, type Page } from '@playwright/test';

/** The first page: a visitor becomes a guest and sees their user row. */
export class HomePage {
  constructor(private readonly page: Page) {}

  readonly startButton = () => this.page.getByTestId('start-button');
  readonly currentUser = () => this.page.getByTestId('current-user');
  readonly userId = () => this.page.getByTestId('user-id');
  readonly engine = () => this.page.getByTestId('engine');

  async open() {
    await this.page.goto('/');
  }

  async startAsGuest() {
    await this.startButton().click();
    await expect(this.currentUser()).toBeVisible();
  }
}
