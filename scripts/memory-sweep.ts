// `npm run memory:sweep`: extracts the facts of turns whose extraction never finished (process
// killed, vendor down), for self-hosting with a system cron. The nightly cron route runs it too.
import { getDatabase } from '../lib/db';
import { getServices } from '../lib/services';
import { parseCommand } from './cli';

parseCommand({
  name: 'npm run memory:sweep',
  summary: `Extracts the facts of turns whose extraction never finished (process killed, vendor down), for
self-hosting from the system cron; the nightly cron route runs it too. Prints a JSON summary.`,
  options: {},
});

try {
  const { memory } = await getServices();
  const summary = await memory.learn.sweep({ minAgeSeconds: 120, limit: 1000 });
  console.log(JSON.stringify({ sweep: summary }));
  await (await getDatabase()).close();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
