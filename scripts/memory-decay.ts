// `npm run memory:decay [-- --dry-run]`: the nightly memory job for self-hosting (system cron).
// Prints a JSON summary; with --dry-run, what would be deleted, deleting nothing.
import { getDatabase } from '../lib/db';
import { env } from '../lib/env';
import { defaultDecayOptions } from '../lib/memory/decay';
import { recordNightlyRun } from '../lib/ops/nightly';
import { decayPolicyFrom, getServices } from '../lib/services';
import { parseCommand } from './cli';

const { values } = parseCommand({
  name: 'npm run memory:decay',
  summary: `The nightly memory job, for self-hosting from the system cron: forgets facts unused past their
time, trims each user to the cap, purges old history and expired guests, and prints a JSON summary.
On the default embedded database it is refused while the app runs (one process per data folder):
stop the app first, or call the app's /api/cron/decay with CRON_SECRET instead (README).`,
  options: { 'dry-run': { type: 'boolean', default: false, help: 'Print what would be deleted, deleting nothing' } },
});

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
