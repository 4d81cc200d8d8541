import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationDatabaseUrl } from '@/lib/db/migrate';
import { InvalidSettingError, parseEnv } from '@/lib/env';

// One temporary folder for the file, removed after it: the development secret is written into DATA_DIR.
const root = mkdtempSync(path.join(tmpdir(), 'engram-env-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const scratch = () => mkdtempSync(path.join(root, 'data-'));

const secret = 'x'.repeat(32);

function problemsOf(source: Record<string, string>) {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof InvalidSettingError) return error.problems.map((p) => p.variable);
    throw error;
  }
  throw new Error('expected the settings to be refused');
}

describe('settings', () => {
  it('defaults to the embedded database with no settings at all', () => {
    const dataDir = scratch();
    const settings = parseEnv({ DATA_DIR: dataDir });
    expect(settings.DATABASE_URL).toBeUndefined();
    expect(settings.MIGRATE_ON_START).toBe(false);
    expect(settings.DATABASE_POOL_MAX).toBe(10);
    expect(settings.DATABASE_POOL_IDLE_SECONDS).toBe(300);
  });

  it('generates a development secret once and keeps it', () => {
    const dataDir = scratch();
    const first = parseEnv({ DATA_DIR: dataDir }).AUTH_SECRET;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(parseEnv({ DATA_DIR: dataDir }).AUTH_SECRET).toBe(first);
    expect(readFileSync(path.join(dataDir, 'dev-auth-secret'), 'utf8')).toBe(first);
  });

  it('requires AUTH_SECRET in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['AUTH_SECRET']);
    expect(parseEnv({ NODE_ENV: 'production', AUTH_SECRET: secret }).AUTH_SECRET).toBe(secret);
  });

  it('names each bad variable and what it expects', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://db/x', AUTH_SECRET: secret })).toThrow(
      /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    const problems = problemsOf({ AUTH_SECRET: 'short', DATABASE_POOL_MAX: 'many', DATABASE_POOL_IDLE_SECONDS: '-1', MIGRATE_ON_START: 'maybe' });
    expect(problems.sort()).toEqual(['AUTH_SECRET', 'DATABASE_POOL_IDLE_SECONDS', 'DATABASE_POOL_MAX', 'MIGRATE_ON_START']);
  });

  it('migrates with DATABASE_URL unless MIGRATION_DATABASE_URL names another role', () => {
    const dataDir = scratch();
    const app = 'postgres://engram_app:secret@db.example.com:5432/engram';
    const admin = 'postgresql://admin:root@db.example.com:5432/engram';
    const plain = parseEnv({ DATA_DIR: dataDir, DATABASE_URL: app });
    expect(plain.MIGRATION_DATABASE_URL).toBeUndefined();
    expect(migrationDatabaseUrl(plain)).toBe(app);
    const split = parseEnv({ DATA_DIR: dataDir, DATABASE_URL: app, MIGRATION_DATABASE_URL: admin });
    expect(split.MIGRATION_DATABASE_URL).toBe(admin);
    expect(migrationDatabaseUrl(split)).toBe(admin);
    expect(migrationDatabaseUrl(parseEnv({ DATA_DIR: dataDir, MIGRATION_DATABASE_URL: ' ' }))).toBeUndefined();
    expect(() => parseEnv({ DATA_DIR: dataDir, MIGRATION_DATABASE_URL: 'mysql://admin@db/engram' })).toThrow(
      /MIGRATION_DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('refuses a privileged database role unless ALLOW_PRIVILEGED_DATABASE_ROLE says otherwise', () => {
    const dataDir = scratch();
    expect(parseEnv({ DATA_DIR: dataDir }).ALLOW_PRIVILEGED_DATABASE_ROLE).toBe(false);
    expect(parseEnv({ DATA_DIR: dataDir, ALLOW_PRIVILEGED_DATABASE_ROLE: 'true' }).ALLOW_PRIVILEGED_DATABASE_ROLE).toBe(true);
    expect(parseEnv({ DATA_DIR: dataDir, ALLOW_PRIVILEGED_DATABASE_ROLE: 'off' }).ALLOW_PRIVILEGED_DATABASE_ROLE).toBe(false);
    expect(problemsOf({ DATA_DIR: dataDir, ALLOW_PRIVILEGED_DATABASE_ROLE: 'sometimes' })).toEqual(['ALLOW_PRIVILEGED_DATABASE_ROLE']);
  });

  it('reads booleans and numbers from their usual spellings, and blanks as unset', () => {
    const settings = parseEnv({
      AUTH_SECRET: secret,
      MIGRATE_ON_START: 'yes',
      DATABASE_POOL_MAX: '25',
      DATABASE_URL: '  ',
      DATA_DIR: '/tmp/engram-env-blank',
    });
    expect(settings).toMatchObject({ MIGRATE_ON_START: true, DATABASE_POOL_MAX: 25 });
    expect(settings.DATABASE_URL).toBeUndefined();
  });

  it('chooses the model providers from the keys that are set', () => {
    const base = { AUTH_SECRET: secret };
    expect(parseEnv(base)).toMatchObject({ chatProvider: 'offline', embeddingProvider: 'offline' });
    expect(parseEnv({ ...base, ANTHROPIC_API_KEY: 'sk-ant', OPENAI_API_KEY: 'sk' })).toMatchObject({
      chatProvider: 'anthropic',
      embeddingProvider: 'openai',
    });
    expect(
      parseEnv({ ...base, OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', CHAT_MODEL: 'llama3.1' }),
    ).toMatchObject({ chatProvider: 'openai', embeddingProvider: 'openai' });
    expect(parseEnv({ ...base, ANTHROPIC_API_KEY: 'sk-ant', CHAT_PROVIDER: 'offline' }).chatProvider).toBe('offline');
  });

  it('names the variable a chosen provider is missing', () => {
    expect(problemsOf({ AUTH_SECRET: secret, CHAT_PROVIDER: 'anthropic' })).toEqual(['ANTHROPIC_API_KEY']);
    expect(problemsOf({ AUTH_SECRET: secret, OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toEqual(['CHAT_MODEL']);
    expect(problemsOf({ AUTH_SECRET: secret, EMBEDDING_PROVIDER: 'openai' })).toEqual(['OPENAI_API_KEY']);
    expect(problemsOf({ AUTH_SECRET: secret, EMBEDDING_DIMENSIONS: '4096' })).toEqual(['EMBEDDING_DIMENSIONS']);
    expect(problemsOf({ AUTH_SECRET: secret, MEMORY_RECENT_TURNS: '10', MEMORY_SUMMARIZE_AFTER: '8' })).toEqual([
      'MEMORY_SUMMARIZE_AFTER',
    ]);
  });
});
