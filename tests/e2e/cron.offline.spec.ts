import { expect, test } from '@playwright/test';

test('with no CRON_SECRET configured the nightly job refuses to run', async ({ request }) => {
  const response = await request.get('/api/cron/decay', { headers: { authorization: 'Bearer anything-at-all-here' } });
  expect(response.status()).toBe(503);
  expect(await response.json()).toEqual({ error: 'CRON_SECRET is not configured, so the job does not run.' });
});
