// `npm run memory:sweep`: extracts the facts of turns whose extraction never finished (process
// killed, vendor down), for self-hosting with a system cron. The nightly cron route runs it too.
import { getDatabase } from '../lib/db';
import { getServices } from '../lib/services';

try {
  const { memory } = await getServices();
  const summary = await memory.learn.sweep({ minAgeSeconds: 120, limit: 1000 });
  console.log(JSON.stringify({ sweep: summary }));
  await (await getDatabase()).close();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
