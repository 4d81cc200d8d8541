/**
 * Every setting Engram reads, parsed once with zod. A bad value stops start-up with a message
 * that names the variable and says what is expected. Nothing else reads process.env.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const booleanSetting = (fallback: boolean) =>
  z
    .stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] })
    .default(fallback);

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// or postgresql:// URL' })
  .optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),

  /** A PostgreSQL 15+ server with pgvector. Unset: the embedded PGlite database in DATA_DIR. */
  DATABASE_URL: postgresUrl,
  /** Apply pending migrations when the app starts on a PostgreSQL server (PGlite always does). */
  MIGRATE_ON_START: booleanSetting(false),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /** Where the embedded database and the generated development secret live. */
  DATA_DIR: z.string().min(1).default('./.data'),

  /** Signs session cookies. Required in production; generated into DATA_DIR in development. */
  AUTH_SECRET: z.string().min(32, 'expected at least 32 characters (openssl rand -base64 32)').optional(),
});

type ParsedEnv = z.infer<typeof envSchema>;
export type Env = Omit<ParsedEnv, 'AUTH_SECRET'> & { AUTH_SECRET: string };

export class InvalidSettingError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid settings:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n') +
        '\nSee .env.example and the README for every setting.',
    );
    this.name = 'InvalidSettingError';
  }
}

/** Blank values count as unset, as they do in most .env tooling. */
function withoutBlanks(source: Record<string, string | undefined>) {
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(withoutBlanks(source));
  if (!result.success) {
    throw new InvalidSettingError(
      result.error.issues.map((issue) => ({
        variable: issue.path.join('.') || '(environment)',
        message: issue.message,
      })),
    );
  }
  const parsed = result.data;
  if (parsed.AUTH_SECRET) return { ...parsed, AUTH_SECRET: parsed.AUTH_SECRET };
  if (parsed.NODE_ENV === 'production') {
    throw new InvalidSettingError([
      { variable: 'AUTH_SECRET', message: 'required in production (openssl rand -base64 32)' },
    ]);
  }
  return { ...parsed, AUTH_SECRET: developmentSecret(parsed.DATA_DIR) };
}

/** A per-checkout secret, so `npm run dev` needs no set-up and sessions survive restarts. */
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'dev-auth-secret');
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': of two processes starting at once, one writes and both read the same secret.
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

let cached: Env | undefined;

/** The settings of this process, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
