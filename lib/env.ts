/**
 * Every setting Engram reads, parsed once with zod. A bad value stops start-up with a message
 * that names the variable and says what is expected. Nothing else reads process.env.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { normalizeOrigin } from './http/guard';
import { MAX_STORED_DIMENSIONS } from './memory/stored-vector';

const booleanSetting = (fallback: boolean) =>
  z
    .stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] })
    .default(fallback);

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// or postgresql:// URL' })
  .optional();

const appOrigins = z
  .string()
  .transform((value, ctx) => {
    const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
    // An origin only: a path or a query would suggest a check this setting does not make.
    const bad = entries.filter((entry) => !normalizeOrigin(entry) || !/^https?:\/\/[^/?#@]+\/?$/i.test(entry));
    if (bad.length) {
      ctx.addIssue({ code: 'custom', message: `expected origins such as https://engram.example.com (scheme, host and port only), comma-separated; not ${bad.join(', ')}` });
    }
    return entries.flatMap((entry) => normalizeOrigin(entry) ?? []);
  })
  .default([]);

/** How many events a rate limit allows per window; benchmarks and tests raise it by setting. */
const limit = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000_000).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),

  /** A PostgreSQL 15+ server with pgvector. Unset: the embedded PGlite database in DATA_DIR. */
  DATABASE_URL: postgresUrl,
  /**
   * The role migrations run as (`npm run db:migrate`, MIGRATE_ON_START, `npm run db:app-role`): the
   * tables' owner, allowed DDL. Unset: DATABASE_URL. The app's own role needs no DDL rights.
   */
  MIGRATION_DATABASE_URL: postgresUrl,
  /** Apply pending migrations when the app starts on a PostgreSQL server (PGlite always does). */
  MIGRATE_ON_START: booleanSetting(false),
  /**
   * Lets a production app connect as a superuser or a BYPASSRLS role, to which row-level security
   * does not apply. Default false: such a role stops start-up.
   */
  ALLOW_PRIVILEGED_DATABASE_ROLE: booleanSetting(false),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * Seconds a pooled connection beyond a third of the pool may sit idle before it closes (0:
   * never). The third stays open whatever this says.
   */
  DATABASE_POOL_IDLE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * Time-outs of the app's connections to a PostgreSQL server: one statement, one wait for a row
   * lock, one wait for a free pooled connection. A stuck request then fails with a clear error
   * instead of holding a connection while every other user waits for the pool.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  DATABASE_LOCK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Where the embedded database and the generated development secret live. */
  DATA_DIR: z.string().min(1).default('./.data'),

  /** Signs session cookies. Required in production; generated into DATA_DIR in development. */
  AUTH_SECRET: z.string().min(32, 'expected at least 32 characters (openssl rand -base64 32)').optional(),
  /**
   * The app's public origins, comma-separated (https://engram.example.com): the only `Origin` a
   * state-changing request may come from (lib/http/guard.ts). Unset: the host the browser addressed.
   */
  APP_ORIGIN: appOrigins,

  /** Who writes replies and extracts facts. auto: Anthropic with a key, else OPENAI_BASE_URL, else offline. */
  CHAT_PROVIDER: z.enum(['auto', 'anthropic', 'openai', 'offline']).default('auto'),
  /** Who embeds. auto: OpenAI-compatible with OPENAI_API_KEY or OPENAI_BASE_URL, else offline. */
  EMBEDDING_PROVIDER: z.enum(['auto', 'openai', 'offline']).default('auto'),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_API_KEY: z.string().optional(),
  /** Any OpenAI-compatible server: Ollama (http://127.0.0.1:11434/v1), vLLM, LM Studio, a VPC model. */
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Defaults to claude-sonnet-4-6 on Anthropic; required for an OpenAI-compatible server. */
  CHAT_MODEL: z.string().optional(),
  /** The small model for facts and summaries. Defaults to claude-haiku-4-5 on Anthropic, else CHAT_MODEL. */
  EXTRACTION_MODEL: z.string().optional(),
  EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  /** Asks the embedding model for this width (text-embedding-3 models accept it); at most 3072. */
  EMBEDDING_DIMENSIONS: z.coerce.number().int().min(1).max(MAX_STORED_DIMENSIONS).optional(),
  MODEL_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),

  /** Longest message a user may send, in characters; longer ones are refused before sending. */
  CHAT_MAX_MESSAGE_CHARS: z.coerce.number().int().min(100).max(100_000).default(8000),
  /** Tokens a reply may take. */
  CHAT_MAX_REPLY_TOKENS: z.coerce.number().int().min(64).max(64_000).default(2048),

  /** Facts put in the prompt per turn. */
  MEMORY_TOP_K: z.coerce.number().int().min(1).max(100).default(8),
  /** Cosine similarity below which a fact is not retrieved by meaning; unset: the embedder's own default. */
  MEMORY_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).optional(),
  MEMORY_RANKING: z.enum(['vector', 'hybrid']).default('hybrid'),
  /** Extracted facts below this confidence are not stored. */
  MEMORY_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.6),
  /** Embedding cosine above which a new fact is a duplicate; unset: the embedder's own default. */
  MEMORY_DUPLICATE_COSINE: z.coerce.number().min(0).max(1).optional(),
  MEMORY_TOKEN_BUDGET: z.coerce.number().int().min(50).max(20_000).default(800),
  /** Tokens the excerpts of past conversations may take in the system prompt; 0 leaves them out. */
  MEMORY_EPISODE_TOKEN_BUDGET: z.coerce.number().int().min(0).max(20_000).default(400),
  /** The decay profile: default (500 facts, 60 days), support_bot (200, 30), personal_assistant (1,000, 180). */
  MEMORY_PROFILE: z.enum(['default', 'support_bot', 'personal_assistant']).default('default'),
  /** Current facts kept per user; the nightly job trims the rest. Unset: the profile's. */
  MEMORY_MAX_FACTS: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Facts unused this many days (and used fewer than MEMORY_TTL_MIN_USES times) are forgotten. */
  MEMORY_TTL_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  MEMORY_TTL_MIN_USES: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** Superseded history older than this many days is purged. */
  MEMORY_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).optional(),
  /** Guests with no chat for this many days are deleted, with all their data, by the nightly job. */
  GUEST_TTL_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  /** Bearer token Vercel Cron sends to /api/cron/decay; unset, the route refuses to run. */
  CRON_SECRET: z.string().min(16, 'expected at least 16 characters (openssl rand -hex 32)').optional(),
  /** Turns of the conversation sent verbatim. */
  MEMORY_RECENT_TURNS: z.coerce.number().int().min(1).max(100).default(6),
  /** Unsummarized turns that trigger folding the older ones into the summary. */
  MEMORY_SUMMARIZE_AFTER: z.coerce.number().int().min(2).max(500).default(12),

  /**
   * The request header in which the proxy in front of the app puts the client's address, and which
   * it overwrites whatever the client sent (x-vercel-forwarded-for, x-real-ip; x-forwarded-for: its
   * right-most entry, the one the proxy appended). Unset: the address is unknown, and only the
   * per-account, per-user and app-wide limits apply.
   */
  TRUSTED_PROXY_HEADER: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9-]+$/, 'expected a header name such as x-real-ip')
    .optional(),
  /** New guests per client address per hour, and across all addresses per hour. */
  RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR: limit(20),
  RATE_LIMIT_NEW_GUESTS_PER_HOUR: limit(500),
  /** Chat turns per user per minute, and per guest per day. */
  RATE_LIMIT_CHAT_TURNS_PER_MINUTE: limit(20),
  RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY: limit(200),
  /** Sign-ups per client address per hour, and across all addresses per hour. */
  RATE_LIMIT_SIGN_UPS_PER_ADDRESS_PER_HOUR: limit(5),
  RATE_LIMIT_SIGN_UPS_PER_HOUR: limit(100),
  /** Failed sign-ins per account (which then locks) and per client address, per 15 minutes. */
  RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT: limit(10),
  RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS: limit(50),
});

type ParsedEnv = z.infer<typeof envSchema>;
export type ChatProvider = 'anthropic' | 'openai' | 'offline';
export type EmbeddingProvider = 'openai' | 'offline';
export type Env = Omit<ParsedEnv, 'AUTH_SECRET'> & {
  AUTH_SECRET: string;
  /** CHAT_PROVIDER and EMBEDDING_PROVIDER with auto resolved. */
  chatProvider: ChatProvider;
  embeddingProvider: EmbeddingProvider;
};

type Problem = { variable: string; message: string };

function resolveProviders(parsed: ParsedEnv): { chat: ChatProvider; embedding: EmbeddingProvider; problems: Problem[] } {
  const chat =
    parsed.CHAT_PROVIDER !== 'auto'
      ? parsed.CHAT_PROVIDER
      : parsed.ANTHROPIC_API_KEY
        ? 'anthropic'
        : parsed.OPENAI_BASE_URL
          ? 'openai'
          : 'offline';
  const embedding =
    parsed.EMBEDDING_PROVIDER !== 'auto'
      ? parsed.EMBEDDING_PROVIDER
      : parsed.OPENAI_API_KEY || parsed.OPENAI_BASE_URL
        ? 'openai'
        : 'offline';
  const problems: Problem[] = [];
  if (chat === 'anthropic' && !parsed.ANTHROPIC_API_KEY) {
    problems.push({ variable: 'ANTHROPIC_API_KEY', message: 'required when CHAT_PROVIDER=anthropic' });
  }
  if (chat === 'openai' && !parsed.CHAT_MODEL) {
    problems.push({
      variable: 'CHAT_MODEL',
      message: 'required for an OpenAI-compatible chat provider (for example gpt-4.1-mini, or llama3.1 on Ollama)',
    });
  }
  if (embedding === 'openai' && !parsed.OPENAI_API_KEY && !parsed.OPENAI_BASE_URL) {
    problems.push({ variable: 'OPENAI_API_KEY', message: 'required when EMBEDDING_PROVIDER=openai (or set OPENAI_BASE_URL)' });
  }
  if (parsed.MEMORY_SUMMARIZE_AFTER <= parsed.MEMORY_RECENT_TURNS) {
    problems.push({ variable: 'MEMORY_SUMMARIZE_AFTER', message: 'must be greater than MEMORY_RECENT_TURNS' });
  }
  return { chat, embedding, problems };
}

export class InvalidSettingError extends Error {
  constructor(readonly problems: Problem[]) {
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
  const { chat, embedding, problems } = resolveProviders(parsed);
  if (!parsed.AUTH_SECRET && parsed.NODE_ENV === 'production') {
    problems.push({ variable: 'AUTH_SECRET', message: 'required in production (openssl rand -base64 32)' });
  }
  if (problems.length) throw new InvalidSettingError(problems);
  return {
    ...parsed,
    AUTH_SECRET: parsed.AUTH_SECRET ?? developmentSecret(parsed.DATA_DIR),
    chatProvider: chat,
    embeddingProvider: embedding,
  };
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
