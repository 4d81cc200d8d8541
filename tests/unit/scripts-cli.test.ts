import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const SCRIPTS = [
  'bench-decay.ts',
  'bench-memory.ts',
  'bench-turn.ts',
  'bench/episode-experiments.ts',
  'db-app-role.ts',
  'db-migrate.ts',
  'eval-extract.ts',
  'eval-locomo.ts',
  'memory-decay.ts',
  'memory-reembed.ts',
  'memory-sweep.ts',
  'screenshots.ts',
  'e2e-server.mjs',
  'ensure-browser.mjs',
];

/** Runs a script as `npm run` does (tsx for TypeScript), with `env` on top of a blank database setting. */
function run(script: string, args: string[], env: Record<string, string> = {}) {
  const node = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [...node, path.join('scripts', script), ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: '', MIGRATION_DATABASE_URL: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** One line on stderr, naming --help, exit code 2, and no stack trace. */
function expectUsageError(result: { code: number | null; stdout: string; stderr: string }, says: RegExp) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(says);
  expect(result.stderr).toContain('(see --help)');
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('scripts on the command line', { timeout: 120_000 }, () => {
  it('every script answers --help with what it does and its flags, exit code 0', async () => {
    const results = await Promise.all(SCRIPTS.map((script) => run(script, ['--help'])));
    results.forEach((result, i) => {
      expect(result.code, `${SCRIPTS[i]}: ${result.stderr}`).toBe(0);
      // A usage line, then what the script does.
      expect(result.stdout, SCRIPTS[i]).toMatch(/^Usage: .+\n\n\S.{20,}/);
    });
  });

  it('every script refuses an unknown flag in one line with exit code 2', async () => {
    const results = await Promise.all(SCRIPTS.map((script) => run(script, ['--no-such-flag'])));
    results.forEach((result) => expectUsageError(result, /--no-such-flag/));
  });

  it('eval:locomo without a file, or with one that is not there, is a usage error, not a stack trace', async () => {
    const [none, missing] = await Promise.all([run('eval-locomo.ts', []), run('eval-locomo.ts', ['no/such/26.json'])]);
    expectUsageError(none, /^npm run eval:locomo: name at least one LoCoMo file/);
    expectUsageError(missing, /no such file: no\/such\/26\.json/);
  });

  it('bench:decay without DATABASE_URL, and bad numbers, are usage errors', async () => {
    const [noServer, badNumber, badEngine] = await Promise.all([
      run('bench-decay.ts', []),
      run('bench-decay.ts', ['--users', 'many'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
      run('bench-memory.ts', ['--engine', 'postgres']),
    ]);
    expectUsageError(noServer, /runs on a PostgreSQL server: set DATABASE_URL/);
    expectUsageError(badNumber, /--users must be a whole number of at least 1, got "many"/);
    expectUsageError(badEngine, /--engine postgres needs DATABASE_URL/);
  });
});
