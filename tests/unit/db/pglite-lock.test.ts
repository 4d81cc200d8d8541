import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseSetupError } from '@/lib/db/errors';
import { lockDataFolder } from '@/lib/db/pglite-lock';

const root = mkdtempSync(path.join(tmpdir(), 'engram-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = () => mkdtempSync(path.join(root, 'data-'));

describe('the embedded database folder lock', () => {
  it('is taken and released by this process', () => {
    const dir = folder();
    const release = lockDataFolder(dir);
    expect(readFileSync(path.join(dir, 'engram.lock'), 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(path.join(dir, 'engram.lock'))).toBe(false);
  });

  it('refuses a folder that a live process holds, naming it and the way out', async () => {
    const dir = folder();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(path.join(dir, 'engram.lock'), String(other.pid));
      expect(() => lockDataFolder(dir)).toThrow(DatabaseSetupError);
      expect(() => lockDataFolder(dir)).toThrow(new RegExp(`in use by another process \\(pid ${other.pid}\\).*DATA_DIR`));
    } finally {
      other.kill();
    }
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dir = folder();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(path.join(dir, 'engram.lock'), String(dead.pid));
    const release = lockDataFolder(dir);
    expect(readFileSync(path.join(dir, 'engram.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });
});
