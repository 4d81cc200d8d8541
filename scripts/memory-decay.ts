// `npm run memory:decay [-- --dry-run]`: the nightly memory job for self-hosting (system cron).
// Prints a JSON summary; with --dry-run, what would be deleted, deleting nothing.
import { parseArgs } from 'node:util';
import { getDatabase } from '../lib/db';
import { env } from '../lib/env';
import { defaultDecayOptions } from '../lib/memory/decay';
import { recordNightlyRun } from '../lib/ops/nightly';
import { decayPolicyFrom, getServices } from '../lib/services';

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } });

try {
  const { memory, store } = await getServices();
  const settings = env();
  // Recorded for /api/health, as the cron route's runs are.
  const summary = await recordNightlyRun(store, () =>
    memory.decay({ ...defaultDecayOptions, policy: decayPolicyFrom(settings), guestTtlDays: settings.GUEST_TTL_DAYS, dryRun: values['dry-run'] }),
  );
  console.log(JSON.stringify(summary));
  await (await getDatabase()).close();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
