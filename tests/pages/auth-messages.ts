import type { Page } from '@playwright/test';

/** What the sign-up and sign-in pages say back: a submitted form's error and where to go instead, or a notice shown on arrival. */
export class AuthMessages {
  constructor(readonly page: Page) {}

  readonly formError = () => this.page.getByTestId('form-error');
  readonly formLink = () => this.page.getByTestId('form-link');
  readonly notice = () => this.page.getByTestId('auth-notice');
  readonly noticeLink = () => this.page.getByTestId('auth-notice-link');
}
