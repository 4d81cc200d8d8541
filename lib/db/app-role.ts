/**
 * The role the app connects as on a PostgreSQL server: a plain login role, not a superuser and
 * without BYPASSRLS, so the FORCEd row-level-security policies (drizzle/0005, 0006) bind. It may
 * read and write rows, nothing else: the migrations run as another role (MIGRATION_DATABASE_URL).
 *
 * `ensureAppRole` creates or refreshes it (`npm run db:app-role`); `assertUnprivilegedRole`
 * refuses, in production, to start as a role that row-level security would not apply to.
 */
import { sql } from 'drizzle-orm';
import type { Env } from '../env';
import type { Database } from './client';
import { DatabaseSetupError } from './errors';
import { selectRows } from './rows';

export interface AppRole {
  name: string;
  password: string;
}

/** A double-quoted identifier: any name, spelled exactly (PostgreSQL's quote_ident). */
export function quoteIdentifier(name: string): string {
  if (!name || name.includes('\0')) throw new DatabaseSetupError(`Not a usable role or database name: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal that means the same whatever standard_conforming_strings says (node-postgres's
 * escapeLiteral): quotes doubled, and with a backslash the E'' form with backslashes doubled.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new DatabaseSetupError('A password cannot contain a NUL character.');
  const quoted = `'${value.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;
  return value.includes('\\') ? `E${quoted}` : quoted;
}

/** The attributes that keep row-level security binding, and everything but DML out of reach. */
const PLAIN = 'NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION';

/** `CREATE ROLE` for the app role, as run and as the README shows it. */
export function createRoleStatement(role: AppRole): string {
  return `CREATE ROLE ${quoteIdentifier(role.name)} LOGIN PASSWORD ${quoteLiteral(role.password)} ${PLAIN}`;
}

/**
 * What the app role may do in `database`: connect, and read and write the rows of every table in
 * schema public, including tables later migrations create. Default privileges are per creating
 * role: run these as the role the migrations run as (MIGRATION_DATABASE_URL).
 */
export function appRoleGrants(roleName: string, database: string): string[] {
  const role = quoteIdentifier(roleName);
  return [
    `GRANT CONNECT ON DATABASE ${quoteIdentifier(database)} TO ${role}`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role}`,
  ];
}

/** The role and password a postgres:// URL logs in with, and its database. */
export function appRoleFromUrl(url: string): AppRole & { database?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseSetupError('The app role URL is not a URL: expected postgres://ROLE:PASSWORD@HOST:5432/DATABASE.');
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new DatabaseSetupError('The app role URL must be a postgres:// or postgresql:// URL.');
  }
  const name = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  if (!name || !password) {
    throw new DatabaseSetupError(
      'The app role URL must name the role and its password: postgres://ROLE:PASSWORD@HOST:5432/DATABASE.',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined;
  return { name, password, database };
}

/** What ensureAppRole needs of a connection: node-postgres's Client and PoolClient fit. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface AppRoleReport {
  role: string;
  database: string;
  /** Who ran it: the admin role. */
  admin: string;
  /** false: the role existed; its password and attributes were refreshed. */
  created: boolean;
  /** Statements run, the password replaced by '…'. */
  statements: string[];
}

const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '42710', // duplicate_object: another run created the role between our look and our CREATE
  '23505', // unique_violation: the same, caught by pg_authid's index
]);

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}

function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  // Two sessions altering the same role or grant at once: "tuple concurrently updated".
  return (code !== undefined && RETRYABLE.has(code)) || (code === 'XX000' && /concurrently/i.test(String((error as Error).message)));
}

/**
 * Creates the app role, or refreshes an existing one (password, attributes, grants), in the
 * database `admin` is connected to. Idempotent; safe to run from several processes at once.
 * `admin` must be a superuser or a role with CREATEROLE that owns the tables (the migrations' role).
 */
export async function ensureAppRole(admin: SqlClient, role: AppRole): Promise<AppRoleReport> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureAppRoleOnce(admin, role);
    } catch (error) {
      if (attempt < 5 && isRetryable(error)) {
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
        continue;
      }
      throw explainAppRoleError(error, role);
    }
  }
}

async function ensureAppRoleOnce(admin: SqlClient, role: AppRole): Promise<AppRoleReport> {
  const statements: string[] = [];
  const run = async (statement: string, shown = statement) => {
    statements.push(shown);
    await admin.query(statement);
  };
  const hidden = role.password ? quoteLiteral(role.password) : '';
  const redact = (statement: string) => (hidden ? statement.replace(hidden, "'…'") : statement);

  await admin.query('BEGIN');
  try {
    // Runs in this database one at a time; across databases the retries settle a race.
    await admin.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['engram:app-role']);
    const me = (await admin.query('SELECT current_database() AS database, current_user AS admin')).rows[0] as {
      database: string;
      admin: string;
    };
    if (me.admin === role.name) {
      throw new DatabaseSetupError(
        `The app role must not be the role you run this as ("${me.admin}"): that would demote the ` +
          'admin. Connect with an admin URL (MIGRATION_DATABASE_URL) and name another role in the app URL.',
      );
    }

    let created = true;
    await admin.query('SAVEPOINT engram_create_role');
    try {
      await run(createRoleStatement(role), redact(createRoleStatement(role)));
      await admin.query('RELEASE SAVEPOINT engram_create_role');
    } catch (error) {
      if (codeOf(error) !== '42710' && codeOf(error) !== '23505') throw error;
      await admin.query('ROLLBACK TO SAVEPOINT engram_create_role');
      statements.pop();
      created = false;
    }

    if (!created) {
      const name = quoteIdentifier(role.name);
      const alter = `ALTER ROLE ${name} WITH LOGIN PASSWORD ${quoteLiteral(role.password)} NOCREATEDB NOCREATEROLE`;
      await run(alter, redact(alter));
      const [attributes] = (
        await admin.query('SELECT rolsuper, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = $1', [role.name])
      ).rows as { rolsuper: boolean; rolbypassrls: boolean; rolreplication: boolean }[];
      // Only a superuser may change these, so they are named only when they must change.
      if (attributes?.rolsuper || attributes?.rolbypassrls || attributes?.rolreplication) {
        await run(`ALTER ROLE ${name} WITH NOSUPERUSER NOBYPASSRLS NOREPLICATION`);
      }
    }

    for (const grant of appRoleGrants(role.name, me.database)) await run(grant);
    await admin.query('COMMIT');
    return { role: role.name, database: me.database, admin: me.admin, created, statements };
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

function explainAppRoleError(error: unknown, role: AppRole): Error {
  if (error instanceof DatabaseSetupError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (codeOf(error) === '42501') {
    return new DatabaseSetupError(
      `Creating or granting the app role "${role.name}" was refused: ${message}. Run it as a superuser, ` +
        'or as a role with CREATEROLE that owns the tables (the role the migrations ran as).',
      { cause: error },
    );
  }
  return new DatabaseSetupError(`Setting up the app role "${role.name}" failed: ${message}`, { cause: error });
}

/**
 * In production on a PostgreSQL server, refuses to start as a superuser or a BYPASSRLS role:
 * row-level security would not apply to it, and nothing would say so. ALLOW_PRIVILEGED_DATABASE_ROLE
 * lets it start anyway. PGlite (one user, embedded) and development are not checked.
 */
export async function assertUnprivilegedRole(db: Database, settings: Env): Promise<void> {
  if (!settings.DATABASE_URL || settings.NODE_ENV !== 'production' || settings.ALLOW_PRIVILEGED_DATABASE_ROLE) return;
  const [me] = await selectRows<{ role: string; rolsuper: boolean; rolbypassrls: boolean }>(
    db,
    sql`SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`,
  );
  if (!me || (!me.rolsuper && !me.rolbypassrls)) return;
  const what = me.rolsuper ? 'a superuser' : 'a role with BYPASSRLS';
  throw new DatabaseSetupError(
    `DATABASE_URL connects as "${me.role}", ${what}. Row-level security, the second wall behind the ` +
      "queries' own user filters that keeps each user's conversations and memories from every other " +
      'user, does not apply to such a role: a query that missed its filter would silently show one ' +
      "user's data to another. Connect as a plain role instead: run the migrations with the admin URL " +
      'in MIGRATION_DATABASE_URL, create the app role with ' +
      '`MIGRATION_DATABASE_URL=<admin url> APP_DATABASE_URL=postgres://engram_app:<password>@<host>/<db> npm run db:app-role` ' +
      '(or the SQL in the README, "Running in production"), and set DATABASE_URL to that role. ' +
      'To start as this role anyway, set ALLOW_PRIVILEGED_DATABASE_ROLE=true.',
  );
}
