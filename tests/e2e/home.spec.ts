import { expect, test } from '@playwright/test';
import { HomePage } from '../pages/home';

test('a visitor becomes a guest user stored in the embedded database', async ({ page }) => {
  const home = new HomePage(page);
  await home.open();
  // A page view alone creates no user.
  await expect(home.startButton()).toBeVisible();
  await expect(home.currentUser()).toHaveCount(0);

  await home.startAsGuest();
  await expect(home.currentUser()).toContainText('You are chatting as a guest');
  await expect(home.engine()).toHaveText('the embedded database (PGlite)');
  const id = await home.userId().textContent();
  expect(id).toMatch(/^[0-9a-f-]{36}$/);

  // The session resolves the same row on the next visit.
  await home.open();
  await expect(home.userId()).toHaveText(id!);
});

test('another browser is another visitor', async ({ page, browser }) => {
  const first = new HomePage(page);
  await first.open();
  await first.startAsGuest();
  const firstId = await first.userId().textContent();

  const otherContext = await browser.newContext();
  const second = new HomePage(await otherContext.newPage());
  await second.open();
  await expect(second.startButton()).toBeVisible();
  await second.startAsGuest();
  await expect(second.userId()).not.toHaveText(firstId!);
  await otherContext.close();
});
