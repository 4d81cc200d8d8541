/**
 * Whether every statement of a user's unit of work could be routed to one shard, were the
 * user-data tables distributed by user (README, "Scaling out"): each user-data table it reads or
 * writes must be pinned to the unit's user by an equality on its distribution column (`user_id`;
 * `id` on `users`), and each row it inserts must carry that user in the column. The SQL is what
 * Drizzle sends, raw SQL included (retrieve.ts, episodes.ts, …), recorded per unit by a Drizzle
 * logger; it is read with regular expressions, which is enough for the shapes this code writes.
 */
import { is } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import type { Logger } from 'drizzle-orm/logger';
import type { Database, Engine } from '@/lib/db/client';
import * as schema from '@/lib/db/schema';
import { createStore, type Store, type UnitShape } from '@/lib/db/store';

/** One statement as the driver was given it. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** A user's unit of work and everything it ran. */
export interface RecordedUnit {
  userId: string;
  kind: 'asUser' | 'readAsUser';
  /** What the test was doing when the unit ran: named in a failure. */
  step: string;
  statements: Statement[];
  /** Whether the unit commits asynchronously (UnitShape.asynchronousCommit). */
  asynchronousCommit: boolean;
}

/**
 * The columns that pin a table's rows to one user, by table: `user_id` wherever it exists, the
 * row itself on `users`, and either party of a merge on `account_merges`. Tables missing here
 * hold no user data; `unclassified` lists tables of the schema this rule does not know, so a new
 * table forces a decision.
 */
export function userKeyColumns(): { keys: Map<string, string[]>; unclassified: string[] } {
  const keys = new Map<string, string[]>();
  const unclassified: string[] = [];
  const noUserData = new Set(['job_leases', 'rate_limits']);
  for (const value of Object.values(schema as Record<string, unknown>)) {
    if (!is(value, PgTable)) continue;
    const { name, columns } = getTableConfig(value);
    if (name === 'users') keys.set(name, ['id']);
    else if (name === 'account_merges') keys.set(name, ['anonymous_user_id', 'account_user_id']);
    else if (columns.some((c) => c.name === 'user_id')) keys.set(name, ['user_id']);
    else if (!noUserData.has(name)) unclassified.push(name);
  }
  return { keys, unclassified };
}

/**
 * A Store whose user units record their statements in `units`; system units (the nightly job,
 * the sweep's scan, sign-in by email, a merge) span users by design and are not recorded. Each
 * user unit runs on a Drizzle instance of its own over the same connections, so statements of
 * units running at once never mix. Units open with Drizzle's own transaction here, however the
 * app's store opens them: what is checked is what the unit's work sends, built the same either way.
 */
export function recordingStore(app: Database, engine: Engine): { store: Store; units: RecordedUnit[]; setStep(step: string): void } {
  const units: RecordedUnit[] = [];
  let step = '';
  // The driver's own client under the app's Drizzle instance (Drizzle keeps it as $client).
  const client = (app as unknown as { $client: Pool | PGlite }).$client;
  const open = (logger: Logger): Database =>
    engine === 'pglite'
      ? drizzlePglite({ client: client as PGlite, schema, logger })
      : drizzlePg({ client: client as Pool, schema, logger });
  const system = createStore({ db: app, engine });
  const unit = (kind: RecordedUnit['kind']) => <T>(userId: string, work: (tx: Database) => Promise<T>, shape?: UnitShape): Promise<T> => {
    const recorded: RecordedUnit = { userId, kind, step, statements: [], asynchronousCommit: shape?.asynchronousCommit === true };
    units.push(recorded);
    const store = createStore({ db: open({ logQuery: (sql, params) => recorded.statements.push({ sql, params }) }), engine });
    return store[kind](userId, work, shape);
  };
  return {
    store: { engine, asUser: unit('asUser'), readAsUser: unit('readAsUser'), asSystem: (work, shape) => system.asSystem(work, shape) },
    units,
    setStep: (next) => {
      step = next;
    },
  };
}

/** The transaction's own statements, which touch no table. */
export const HOUSEKEEPING = /^\s*(begin|commit|rollback|savepoint|release|set\s+transaction|select\s+set_config\s*\()/i;

/** Words that can follow a table name where an alias would stand. */
const NOT_ALIAS = new Set(
  'where set on join inner left right full cross natural lateral order group limit offset using values returning for union except intersect having window as default select from'.split(' '),
);

interface Reference {
  table: string;
  alias: string | null;
}

/** Drops comments, so a commented-out filter is no filter. */
const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The user-data tables a statement reads, updates or deletes from (an INSERT's target is checked apart). */
function referencesOf(sql: string, keys: Map<string, string[]>): Reference[] {
  const names = [...keys.keys()].map(escape).join('|');
  const found: Reference[] = [];
  // After FROM, JOIN or UPDATE, or after a comma in a FROM list; never "users"."id" (a qualifier).
  const pattern = new RegExp(`(?:\\b(?:from|join|update)|,)\\s+("?)(${names})(?!\\w)\\1(?!\\s*\\.)(?:\\s+(?:as\\s+)?("?)(\\w+)\\3)?`, 'gi');
  for (const match of sql.matchAll(pattern)) {
    const alias = match[4]?.toLowerCase();
    found.push({ table: match[2]!.toLowerCase(), alias: alias && !NOT_ALIAS.has(alias) ? alias : null });
  }
  return found;
}

/** Whether `token` ($n or a quoted literal) stands for `userId` in this statement. */
function bindsUser(token: string, params: unknown[], userId: string): boolean {
  const param = /^\$(\d+)$/.exec(token);
  const value = param ? params[Number(param[1]) - 1] : token.replace(/^'|'$/g, '');
  return typeof value === 'string' && value.toLowerCase() === userId.toLowerCase();
}

const VALUE = `(\\$\\d+|'[0-9a-f-]{36}')(?:\\s*::\\s*uuid)?`;

/** How many equalities pin `reference` to `userId`: `alias.user_id = $n` (either way round) with $n the user. */
function pinsOf(sql: string, params: unknown[], reference: Reference, columns: string[], userId: string): number {
  const qualifier = reference.alias
    ? `"?${escape(reference.alias)}"?\\s*\\.\\s*`
    : `(?:"?${escape(reference.table)}"?\\s*\\.\\s*)?`;
  const column = `(?<![\\w."])${qualifier}"?(?:${columns.map(escape).join('|')})"?(?![\\w"])`;
  let pins = 0;
  for (const pattern of [new RegExp(`${column}\\s*=\\s*${VALUE}`, 'gi'), new RegExp(`${VALUE}\\s*=\\s*${column}`, 'gi')]) {
    for (const match of sql.matchAll(pattern)) if (bindsUser(match[1]!, params, userId)) pins++;
  }
  return pins;
}

/** Top-level comma-separated expressions of `text` from `from`, up to the `)` closing depth 0 or a top-level FROM. */
function topLevelList(text: string, from: number, until: 'paren' | 'from'): { items: string[]; end: number } {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  let i = from;
  for (; i < text.length; i++) {
    const char = text[i]!;
    if (depth === 0 && until === 'from' && /^\s+from\b/i.test(text.slice(i, i + 6))) break;
    if (char === '(') depth++;
    else if (char === ')') {
      if (depth === 0) break;
      depth--;
    } else if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  items.push(current.trim());
  return { items, end: i };
}

/**
 * The rows an INSERT writes, each as its top-level expressions: the tuples of its VALUES list, or
 * the select list of an INSERT … SELECT; null when neither follows the column list.
 */
function insertedRows(sql: string, from: number): string[][] | null {
  const rest = sql.slice(from);
  const select = /^\s*(?:overriding\s+\w+\s+value\s+)?select\s+/i.exec(rest);
  if (select) return [topLevelList(sql, from + select[0].length, 'from').items];
  if (!/^\s*values\s*\(/i.test(rest)) return null;
  const tuples: string[][] = [];
  for (let at = from + /\(/.exec(rest)!.index + 1; ; ) {
    const { items, end } = topLevelList(sql, at, 'paren');
    tuples.push(items);
    const next = /^\)\s*,\s*\(/.exec(sql.slice(end));
    if (!next) return tuples;
    at = end + next[0].length;
  }
}

/**
 * Whether an inserted key is the unit's user: a value bound to it, or (INSERT … SELECT) the
 * `user_id` of the rows selected, whose source is itself pinned (a table read is checked as a
 * read; a CTE's insert or update as its own statement).
 */
function insertsUser(expression: string, params: unknown[], userId: string): boolean {
  return bindsUser(expression, params, userId) || /^(?:"?\w+"?\s*\.\s*)?"?user_id"?$/i.test(expression);
}

/** Why an INSERT into a user-data table is not pinned to `userId`, or null when it is (every INSERT of the statement). */
function insertProblem(sql: string, params: unknown[], keys: Map<string, string[]>, userId: string): string | null {
  const names = [...keys.keys()].map(escape).join('|');
  for (const insert of sql.matchAll(new RegExp(`\\binsert\\s+into\\s+("?)(${names})\\1\\s*\\(([^)]*)\\)`, 'gi'))) {
    const table = insert[2]!.toLowerCase();
    const columns = insert[3]!.split(',').map((c) => c.trim().replace(/"/g, '').toLowerCase());
    const keyColumns = keys.get(table)!;
    const at = columns.findIndex((c) => keyColumns.includes(c));
    if (at < 0) return `INSERT INTO ${table} names no ${keyColumns.join(' or ')}`;
    const rows = insertedRows(sql, insert.index + insert[0].length);
    if (!rows) return `INSERT INTO ${table}: neither VALUES nor SELECT follows its columns`;
    const unbound = rows.filter((row) => !insertsUser(row[at] ?? '', params, userId));
    if (unbound.length) return `INSERT INTO ${table}: ${unbound.length} row(s) whose ${columns[at]} is not the unit's user`;
  }
  return null;
}

export interface Offender {
  step: string;
  kind: RecordedUnit['kind'];
  userId: string;
  sql: string;
  params: unknown[];
  problems: string[];
}

/**
 * The statements of user units that could not be routed to the user's shard, each with what is
 * missing. Also answers how many statements were checked and which tables they touched.
 */
export function singleShardOffenders(units: RecordedUnit[]): { offenders: Offender[]; checked: number; tablesSeen: Set<string> } {
  const { keys } = userKeyColumns();
  const offenders: Offender[] = [];
  const tablesSeen = new Set<string>();
  let checked = 0;
  for (const unit of units) {
    for (const statement of unit.statements) {
      if (HOUSEKEEPING.test(statement.sql)) continue;
      checked++;
      const sql = withoutComments(statement.sql);
      const problems: string[] = [];
      const inserted = insertProblem(sql, statement.params, keys, unit.userId);
      if (inserted) problems.push(inserted);
      const insertTarget = new RegExp(`\\binsert\\s+into\\s+"?(\\w+)"?`, 'i').exec(sql)?.[1]?.toLowerCase();
      if (insertTarget && keys.has(insertTarget)) tablesSeen.add(insertTarget);

      // Each reference needs a pin of its own: two references under one alias need two.
      const groups = new Map<string, { reference: Reference; count: number }>();
      for (const reference of referencesOf(sql, keys)) {
        tablesSeen.add(reference.table);
        const key = `${reference.table} ${reference.alias ?? ''}`;
        const group = groups.get(key) ?? { reference, count: 0 };
        group.count++;
        groups.set(key, group);
      }
      for (const { reference, count } of groups.values()) {
        const columns = keys.get(reference.table)!;
        const pins = pinsOf(sql, statement.params, reference, columns, unit.userId);
        if (pins < count) {
          const name = reference.alias ? `${reference.table} ${reference.alias}` : reference.table;
          problems.push(`${name}: read ${count} time(s), pinned to the user ${pins} time(s) (${columns.join(' or ')} = the unit's user)`);
        }
      }
      if (problems.length) {
        offenders.push({ step: unit.step, kind: unit.kind, userId: unit.userId, sql: statement.sql, params: statement.params, problems });
      }
    }
  }
  return { offenders, checked, tablesSeen };
}

/** The offenders as a failure message: where each ran, what is missing, and the statement. */
export function describeOffenders(offenders: Offender[]): string {
  return offenders
    .map(
      (o, i) =>
        `${i + 1}. [${o.step}] ${o.kind}: ${o.problems.join('; ')}\n   ${o.sql.replace(/\s+/g, ' ').trim()}\n   params: ${JSON.stringify(o.params).slice(0, 300)}`,
    )
    .join('\n');
}
