// `npm run db:migrate`: applies the committed migrations to the configured database (the
// PostgreSQL server of DATABASE_URL, or the embedded one in DATA_DIR).
import { openDatabase } from '../lib/db';
import { migrateDatabase } from '../lib/db/migrate';
import { verifyDatabase } from '../lib/db/verify';

try {
  const handle = await openDatabase();
  try {
    await migrateDatabase(handle);
    await verifyDatabase(handle.db);
    console.log(`Migrations applied (${handle.engine}).`);
  } finally {
    await handle.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
