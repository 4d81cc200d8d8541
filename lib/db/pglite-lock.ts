/**
 * PGlite does not lock its data folder: two processes that open one folder at once silently lose
 * writes. This lock file (holding the owner's pid) makes the second process refuse instead.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSetupError } from './errors';

const LOCK_FILE = 'engram.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the folder's lock for this process; returns the function that releases it. */
export function lockDataFolder(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const owner = readOwner(file);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new DatabaseSetupError(
      `The embedded database in ${dataDir} is in use by another process (pid ${owner}). ` +
        'PGlite allows one process per folder: stop that process, or set DATA_DIR to another ' +
        'folder, or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
  writeFileSync(file, String(process.pid));
  const release = () => {
    if (readOwner(file) === process.pid) unlinkSync(file);
  };
  process.once('exit', release);
  return () => {
    process.off('exit', release);
    release();
  };
}
