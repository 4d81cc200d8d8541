// `npm run db:app-role`: creates (or refreshes) the plain role the app connects as, so row-level
// security binds to it, and grants it the rows of every table: see lib/db/app-role.ts.
//
//   MIGRATION_DATABASE_URL=postgres://admin:…@host:5432/engram \
//   APP_DATABASE_URL=postgres://engram_app:<password>@host:5432/engram npm run db:app-role
//
// Runs as the admin: MIGRATION_DATABASE_URL, else DATABASE_URL (a superuser, or a CREATEROLE role
// that owns the tables; the role the migrations ran as, so that tables of later migrations are
// granted too). The role to make and its password: the user and password of APP_DATABASE_URL,
// else of DATABASE_URL when MIGRATION_DATABASE_URL is set (the app's own settings). Then logs in
// as the new role to check it. `-- --dry-run` prints the SQL and changes nothing.
import pg from 'pg';
import { appRoleFromUrl, appRoleGrants, createRoleStatement, ensureAppRole } from '../lib/db/app-role';
import { env } from '../lib/env';
import { parseCommand } from './cli';

const cli = parseCommand({
  name: 'npm run db:app-role',
  summary: `Creates (or refreshes) the plain role the app connects as, so row-level security binds to it, and
grants it the rows of every table; then logs in as it to check. Runs as the admin of
MIGRATION_DATABASE_URL, else DATABASE_URL; the role and its password are APP_DATABASE_URL's user
and password (else DATABASE_URL's when MIGRATION_DATABASE_URL is set).`,
  options: { 'dry-run': { type: 'boolean', default: false, help: 'Print the SQL and change nothing' } },
});
const dryRun = cli.values['dry-run'];

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

try {
  const settings = env();
  const missing = () => cli.fail("set MIGRATION_DATABASE_URL (or DATABASE_URL) to an admin's URL and APP_DATABASE_URL to the role to create");
  const adminUrl = settings.MIGRATION_DATABASE_URL || settings.DATABASE_URL || missing();
  const appUrl = process.env.APP_DATABASE_URL?.trim() || (settings.MIGRATION_DATABASE_URL ? settings.DATABASE_URL : undefined) || missing();
  const role = appRoleFromUrl(appUrl);

  if (dryRun) {
    const database = role.database ?? (decodeURIComponent(new URL(adminUrl).pathname.slice(1)) || 'postgres');
    console.log('-- As the admin, in the database the app uses (the password is not shown):');
    for (const statement of [createRoleStatement({ ...role, password: '…' }), ...appRoleGrants(role.name, database)]) {
      console.log(`${statement};`);
    }
    process.exit(0);
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let report;
  try {
    const { database } = (await admin.query<{ database: string }>('SELECT current_database() AS database')).rows[0]!;
    if (role.database && role.database !== database) {
      fail(
        `The app URL names database "${role.database}" but the admin URL connects to "${database}": ` +
          'the grants are made in the admin\'s database. Point both URLs at the same database.',
      );
    }
    report = await ensureAppRole(admin, role);
  } finally {
    await admin.end();
  }

  console.log(
    `${report.created ? 'Created' : 'Refreshed'} role "${report.role}" in database "${report.database}" as "${report.admin}":`,
  );
  for (const statement of report.statements) console.log(`  ${statement};`);

  // Log in as the role, as the app will: the password works, and row-level security binds to it.
  const app = new pg.Client({ connectionString: appUrl });
  try {
    await app.connect();
    const me = (
      await app.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean }>(
        'SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
      )
    ).rows[0]!;
    if (me.rolsuper || me.rolbypassrls) fail(`"${me.role}" logs in but is still privileged: row-level security would not apply.`);
    console.log(`Logged in as "${me.role}": not a superuser, no BYPASSRLS; row-level security applies. Use this URL as DATABASE_URL.`);
  } catch (error) {
    fail(
      `The role is set up, but logging in with the app URL failed: ${error instanceof Error ? error.message : error}. ` +
        'Check its host, and that pg_hba.conf lets the role connect.',
    );
  } finally {
    await app.end().catch(() => {});
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
