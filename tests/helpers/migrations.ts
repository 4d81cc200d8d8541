import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseHandle } from '@/lib/db/client';
import { migrateDatabase, MIGRATIONS_FOLDER } from '@/lib/db/migrate';
import { openEmptyDatabase, testEngine } from '../integration/engines';

/**
 * A copy of the migrations folder as it was before the migration `tag`, to build a database of
 * that version and test the upgrade; the caller removes the folder.
 */
export function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'engram-migrations-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 1) throw new Error(`no migration ${tag} after the first`);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return folder;
}

/**
 * An upgrade under test: an empty database of the test engine, migrated to just before `tag`;
 * `upgrade()` applies the rest, `close()` closes it and removes the folder.
 */
export async function databaseBefore(tag: string): Promise<{ handle: DatabaseHandle; upgrade: () => Promise<void>; close: () => Promise<void> }> {
  const handle = await openEmptyDatabase(testEngine);
  const folder = migrationsBefore(tag);
  await migrateDatabase(handle, folder);
  return {
    handle,
    upgrade: () => migrateDatabase(handle),
    close: async () => {
      await handle.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
