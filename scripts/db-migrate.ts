// `npm run db:migrate`: applies the committed migrations, on a connection of its own, as the role
// allowed DDL: the PostgreSQL server of MIGRATION_DATABASE_URL, else DATABASE_URL, else the
// embedded database in DATA_DIR. The app's own role (DATABASE_URL) needs no DDL rights.
import { env } from '../lib/env';
import { migrateWithOwnConnection } from '../lib/db/migrate';
import { parseCommand } from './cli';

parseCommand({
  name: 'npm run db:migrate',
  summary: `Applies the committed migrations as the role allowed DDL: the PostgreSQL server of
MIGRATION_DATABASE_URL, else DATABASE_URL, else the embedded database in DATA_DIR.`,
  options: {},
});

try {
  const settings = env();
  const engine = await migrateWithOwnConnection(settings);
  const as = settings.MIGRATION_DATABASE_URL ? ' with MIGRATION_DATABASE_URL' : settings.DATABASE_URL ? ' with DATABASE_URL' : '';
  console.log(`Migrations applied (${engine}${as}).`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
