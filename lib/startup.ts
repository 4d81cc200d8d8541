import { getDatabase } from './db';
import { env } from './env';
import { messageOf } from './errors';
import { warnWithoutTrustedProxy } from './rate-limit';

/**
 * Parses the settings and opens (for PGlite, migrates) the database, so a bad setting or an
 * unusable database stops start-up with a clear message instead of failing the first request.
 */
export async function checkStartup(): Promise<void> {
  try {
    warnWithoutTrustedProxy(env());
    const { engine } = await getDatabase();
    console.log(`[engram] database ready (${engine})`);
  } catch (error) {
    console.error(`\n[engram] cannot start.\n${messageOf(error)}\n`);
    process.exit(1);
  }
}
