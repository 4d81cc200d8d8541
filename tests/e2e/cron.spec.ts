import { expect, test } from '@playwright/test';

test('the nightly job runs only with the right bearer secret', async ({ request }) => {
  expect((await request.get('/api/cron/decay')).status()).toBe(401);
  const wrong = await request.get('/api/cron/decay', { headers: { authorization: 'Bearer e2e-cron-secret-0123456788' } });
  expect(wrong.status()).toBe(401);
  expect(await wrong.json()).toEqual({ error: 'Unauthorized.' });

  const right = await request.get('/api/cron/decay', { headers: { authorization: 'Bearer e2e-cron-secret-0123456789' } });
  expect(right.status()).toBe(200);
  expect(await right.json()).toMatchObject({
    status: 'completed',
    dryRun: false,
    policy: { ttlDays: 60, maxFactsPerUser: 500 },
    factsExpired: expect.any(Number),
    turnsSwept: { failed: 0 },
  });
});
