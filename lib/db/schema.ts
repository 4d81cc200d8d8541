/**
 * The single source of truth for Engram's data model. Migrations in drizzle/ are generated from
 * this file (`npm run db:generate`); types are inferred from it, never written twice.
 *
 * Every table that holds user data carries `user_id`, and every query filters by it, so a user's
 * rows are theirs alone and the data can later be sharded by user without a rewrite.
 */
import { sql, type SQL } from 'drizzle-orm';
import { SINGLE_VALUED_ATTRIBUTES } from '../memory/attributes';
import { HalfvecParam } from './halfvec';
import { SYSTEM_CONTEXT, USER_ID_PATTERN } from './unit-context';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgPolicy,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
  customType,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * An embedding at its embedder's own width (a typmod-less halfvec; lib/memory/stored-vector.ts
 * bounds it): a 612-d vector is not padded to 1536, so a search reads what it compares. Half
 * precision halves the bytes read per search, which is where per-user exact search spends its time.
 */
const embedding = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'halfvec',
  toDriver: (value) => sql`${new HalfvecParam(value)}::halfvec`,
  fromDriver: (value) => value.slice(1, -1).split(',').map(Number.parseFloat),
});

/** A bit string of any length (pgvector's binary_quantize returns one bit per dimension). */
const varbit = customType<{ data: string }>({ dataType: () => 'varbit' });

/**
 * Row-level security, the second wall behind the queries' own filters (on a PostgreSQL server;
 * PGlite's superuser bypasses it): a unit of work sees the rows of the user it acts as
 * (lib/db/store.ts), or every row when it acts as the system (nightly job, merges). On `users`
 * the user is the row itself. Migrations 0006, 0010, 0016 and 0019 also FORCE it, so it binds the
 * tables' owner, which the app usually connects as.
 *
 * Whose unit it is, is read once per statement: as scalar subqueries the planner makes them
 * InitPlans, so each row costs one uuid comparison (not the id printed as text and the setting
 * looked up, twice when the row is not the user's; 0018 measured). Anything but a UUID or
 * 'system' matches no row.
 */
const SESSION_USER_ID = sql.raw(
  `(SELECT CASE WHEN current_setting('app.user_id', true) ~* '${USER_ID_PATTERN}' THEN current_setting('app.user_id', true)::uuid END)`,
);
const SESSION_IS_SYSTEM = sql.raw(`(SELECT current_setting('app.user_id', true) = '${SYSTEM_CONTEXT}')`);

const ownerOnly = (table: string, userId: AnyPgColumn) =>
  pgPolicy(`${table}_owner_only`, { for: 'all', using: sql`${userId} = ${SESSION_USER_ID} OR ${SESSION_IS_SYSTEM}` });

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Null for anonymous visitors; stored lower-cased and trimmed. */
    email: text('email'),
    passwordHash: text('password_hash'),
    isAnonymous: boolean('is_anonymous').notNull().default(true),
    /** "Turn memory off": no retrieval and no extraction while false; stored facts are kept. */
    memoryEnabled: boolean('memory_enabled').notNull().default(true),
    /** "Reference past chats": what the user said in earlier conversations is searched for each turn. */
    referenceChats: boolean('reference_chats').notNull().default(true),
    /**
     * Sessions carry the version they were issued under; sign-out, a password change and "sign
     * out everywhere" bump it, which ends every session issued before.
     */
    sessionVersion: integer('session_version').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    check('users_account_has_email', sql`${t.isAnonymous} OR ${t.email} IS NOT NULL`),
    // A request sees its own row only: no other user's email or password hash. Looking a user up
    // by email (sign-in) is a system unit of work.
    ownerOnly('users', t.id),
  ],
);

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title'),
    /** Rolling summary of the turns older than the short-term window. */
    summary: text('summary'),
    /** Id of the newest turn folded into `summary`; turns after it are verbatim context. */
    summarizedThroughTurnId: bigint('summarized_through_turn_id', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The sidebar lists a user's conversations newest first.
  (t) => [index('conversations_user_updated_idx').on(t.userId, t.updatedAt.desc()), ownerOnly('conversations', t.userId)],
);

export const turnRole = pgEnum('turn_role', ['user', 'assistant']);
/** An answer is `streaming` from the moment its question is stored until it ends (ARCHITECTURE.md). */
export const turnStatus = pgEnum('turn_status', ['streaming', 'complete', 'interrupted', 'failed']);

export const conversationTurns = pgTable(
  'conversation_turns',
  {
    // An identity column orders turns within a conversation without clock ties.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: turnRole('role').notNull(),
    content: text('content').notNull(),
    status: turnStatus('status').notNull().default('complete'),
    /** An answer: the question it answers, so concurrent or retried turns never pair by position. */
    repliesTo: bigint('replies_to', { mode: 'number' }).references((): AnyPgColumn => conversationTurns.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    /** An answer's last save while it streamed: one long unsaved is from a process that died. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** The extraction outbox: null until this turn's facts were extracted. */
    extractedAt: timestamp('extracted_at', { withTimezone: true }),
    extractionAttempts: integer('extraction_attempts').notNull().default(0),
    /** The last extraction failure, kept so a failure is visible and retried, never dropped. */
    extractionError: text('extraction_error'),
    /** An answer's memories: the facts its system prompt carried, so the user can see why it knew. */
    memoryFactIds: uuid('memory_fact_ids').array(),
    /** The words of what the user said, which rank past chats found by words; answers are not searched. */
    contentSearch: tsvector('content_search').generatedAlwaysAs(
      (): SQL => sql`CASE WHEN ${conversationTurns.role} = 'user' THEN to_tsvector('english', ${conversationTurns.content}) END`,
    ),
  },
  (t) => [
    ownerOnly('conversation_turns', t.userId),
    index('conversation_turns_conversation_idx').on(t.conversationId, t.id),
    // Deleting a question (or a whole conversation) looks up the answers that reply to it.
    index('conversation_turns_replies_to_idx').on(t.repliesTo).where(sql`${t.repliesTo} IS NOT NULL`),
    index('conversation_turns_user_idx').on(t.userId),
    // Each message looks for its conversation's streaming answers (to settle cut-off ones, to
    // wait for a live one). Under row-level security an enum's `=` is no index condition, so
    // conversation_idx would read every turn of the conversation; this index holds only those.
    // Its predicate names 'streaming' as the one value before 'complete' (0014 added it so): a
    // value added to an enum cannot be used in the transaction that added it, and a fresh database
    // runs every migration in one. A query's `status = 'streaming'` implies it.
    index('conversation_turns_streaming_idx')
      .on(t.conversationId)
      .where(sql`${t.status} < 'complete'`),
    // The sweep's: user turns whose extraction never finished (those that gave up stay, so it
    // grows). Keyed by id, so a claim's `id = … AND extracted_at IS NULL`, if planned on this
    // index, is a lookup and not a scan of every pending turn.
    index('conversation_turns_pending_extraction_idx')
      .on(t.id)
      .where(sql`${t.extractedAt} IS NULL AND ${t.role} = 'user'`),
  ],
);

export const factType = pgEnum('fact_type', [
  'preference',
  'goal',
  'personal_context',
  'technical_context',
  'constraint',
]);

export const userFacts = pgTable(
  'user_facts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    factType: factType('fact_type').notNull(),
    factText: text('fact_text').notNull(),
    /** Words of the fact for full-text ranking, kept by Postgres so queries need not parse text. */
    factSearch: tsvector('fact_search')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`to_tsvector('english', ${userFacts.factText})`),
    confidence: real('confidence').notNull(),
    sourceConversationId: uuid('source_conversation_id').references(() => conversations.id, {
      onDelete: 'set null',
    }),
    sourceTurnId: bigint('source_turn_id', { mode: 'number' }).references(
      () => conversationTurns.id,
      { onDelete: 'set null' },
    ),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    lastAccessed: timestamp('last_accessed', { withTimezone: true }),
    accessCount: integer('access_count').notNull().default(0),
    /**
     * The single-valued attribute the fact states a value of (residence, name, employer, job
     * title, partner), read from its wording by the patterns of lib/memory/attributes.ts.
     */
    attribute: text('attribute').generatedAlwaysAs(
      (): SQL =>
        sql.raw(
          `CASE ${Object.entries(SINGLE_VALUED_ATTRIBUTES)
            .map(([name, pattern]) => `WHEN "fact_text" ~* '${pattern.replace(/'/g, "''")}' THEN '${name}'`)
            .join(' ')} END`,
        ),
    ),
    /** Set when a newer fact contradicts this one; the row stays as history. */
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
    /**
     * The fact that replaced this one. No foreign key: deleting a fact clears the pointers to it
     * in the statement trigger of migration 0020, as ON DELETE SET NULL did row by row.
     */
    supersededBy: uuid('superseded_by'),
  },
  (t) => [
    check('user_facts_confidence_range', sql`${t.confidence} >= 0 AND ${t.confidence} <= 1`),
    // Retrieval, dedup and the settings page read only a user's current facts.
    ownerOnly('user_facts', t.userId),
    index('user_facts_user_current_idx')
      .on(t.userId, t.factType)
      .where(sql`${t.supersededAt} IS NULL`),
    index('user_facts_superseded_idx').on(t.supersededAt).where(sql`${t.supersededAt} IS NOT NULL`),
    // Retrieval and the duplicate check read the words, types and texts of a user's current facts
    // from a covering index (migration 0024; Drizzle cannot express INCLUDE) and those of the few
    // long ones through this one.
    index('user_facts_user_long_idx')
      .on(t.userId)
      .where(sql`${t.supersededAt} IS NULL AND octet_length(${t.factText}) > 500`),
    // Every turn reads a user's current attribute values (and the writer, the ones it replaces).
    index('user_facts_user_attribute_idx')
      .on(t.userId, t.attribute)
      .where(sql`${t.supersededAt} IS NULL AND ${t.attribute} IS NOT NULL`),
    // And its constraints. Under row-level security an enum's `=` (not leakproof) is never an
    // index condition, so user_current_idx cannot narrow to them; a predicate can.
    index('user_facts_user_constraints_idx')
      .on(t.userId)
      .where(sql`${t.supersededAt} IS NULL AND ${t.factType} = 'constraint'`),
    // Deleting a fact, turn or conversation looks for the facts that point at it (ON DELETE SET
    // NULL, or migration 0020's trigger): without these, each delete would scan the whole table.
    index('user_facts_superseded_by_idx').on(t.supersededBy).where(sql`${t.supersededBy} IS NOT NULL`),
    index('user_facts_source_turn_idx').on(t.sourceTurnId).where(sql`${t.sourceTurnId} IS NOT NULL`),
    index('user_facts_source_conversation_idx').on(t.sourceConversationId).where(sql`${t.sourceConversationId} IS NOT NULL`),
  ],
);

export const factEmbeddings = pgTable(
  'fact_embeddings',
  {
    /**
     * No foreign key: a deleted fact's vectors are deleted by the statement trigger of migration
     * 0020, once per statement instead of once per fact as ON DELETE CASCADE did (the nightly job
     * deletes hundreds of thousands). lib/memory/fact-store.ts stores a vector only for a fact it
     * holds a key-share lock on, as the key's check did.
     */
    factId: uuid('fact_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Vectors of two models are never compared: queries filter by the current model. */
    model: text('model').notNull(),
    embedding: embedding('embedding').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.factId, t.model] }),
    // Exact search inside one user's rows: B-tree on (user, model), then distance on a few
    // hundred vectors. An approximate index over all users would filter after the scan and lose
    // recall (see the architecture notes).
    ownerOnly('fact_embeddings', t.userId),
    index('fact_embeddings_user_model_idx').on(t.userId, t.model),
  ],
);

/**
 * Episodic memory: the vector of what the user said in a turn (the one the turn computed to
 * search the facts, so no second embedding call), searched beside the facts by meaning, while
 * conversation_turns.content_search finds it by words. One row per user turn and model.
 */
export const episodeEmbeddings = pgTable(
  'episode_embeddings',
  {
    turnId: bigint('turn_id', { mode: 'number' })
      .notNull()
      .references(() => conversationTurns.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // No foreign key of its own: the turn's cascade removes the row with its conversation.
    conversationId: uuid('conversation_id').notNull(),
    model: text('model').notNull(),
    embedding: embedding('embedding').notNull(),
    /**
     * The embedding's sign bits (1 where a dimension is positive): 128 bytes at 1,024 dimensions
     * against 2 KB. A search ranks a user's window by Hamming distance on these, read from the
     * covering index below, and re-ranks the nearest few hundred exactly (lib/memory/episodes.ts).
     */
    embeddingBits: varbit('embedding_bits')
      .notNull()
      .generatedAlwaysAs(sql`binary_quantize(embedding)`),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.turnId, t.model] }),
    ownerOnly('episode_embeddings', t.userId),
    // A user's episodes newest first, for the window searched by meaning. Migration 0023 creates
    // it INCLUDE (conversation_id, embedding_bits), which Drizzle cannot express: a search reads
    // the window's bits from the index alone, a few contiguous pages that stay cached.
    index('episode_embeddings_user_model_turn_bits_idx').on(t.userId, t.model, t.turnId.desc().nullsFirst()),
  ],
);

/**
 * The words of each episode (its turn's content_search lexemes), one row per word: past chats are
 * found by words through equality on this B-tree. A GIN on content_search cannot serve the app
 * role, since `@@` is not LEAKPROOF: under row-level security PostgreSQL tests it only after the
 * policy, on every one of the user's messages, where `=` on text is leakproof and becomes an index
 * condition. Written and forgotten with the episode (lib/memory/episode-store.ts).
 */
export const episodeWords = pgTable(
  'episode_words',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    word: text('word').notNull(),
    turnId: bigint('turn_id', { mode: 'number' })
      .notNull()
      .references(() => conversationTurns.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.word, t.turnId] }),
    ownerOnly('episode_words', t.userId),
    // The turn's cascade, and forgetting one episode, find its words.
    index('episode_words_turn_idx').on(t.turnId),
  ],
);

/** One row per anonymous user merged into an account; a late request from the old cookie is
 * sent to the account instead of creating data under a dead id. */
export const accountMerges = pgTable(
  'account_merges',
  {
    // No foreign key: the anonymous user row is removed once its data has moved.
    anonymousUserId: uuid('anonymous_user_id').primaryKey(),
    accountUserId: uuid('account_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    mergedAt: timestamp('merged_at', { withTimezone: true }).notNull().defaultNow(),
    /** Rows moved per table, e.g. {"conversations": 2, "conversation_turns": 14, ...}. */
    rowsMoved: jsonb('rows_moved').$type<Record<string, number>>().notNull(),
  },
  (t) => [
    index('account_merges_account_idx').on(t.accountUserId),
    // A merge concerns two users: either may read it; only the merge itself (a system unit) writes it.
    pgPolicy('account_merges_parties_read', {
      for: 'select',
      using: sql`${t.anonymousUserId} = ${SESSION_USER_ID} OR ${t.accountUserId} = ${SESSION_USER_ID}`,
    }),
    pgPolicy('account_merges_system_only', { for: 'all', using: SESSION_IS_SYSTEM }),
  ],
);

export type User = typeof users.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type ConversationTurn = typeof conversationTurns.$inferSelect;
export type UserFact = typeof userFacts.$inferSelect;
export type NewUserFact = typeof userFacts.$inferInsert;
export type FactType = (typeof factType.enumValues)[number];
export type FactEmbedding = typeof factEmbeddings.$inferSelect;
export type EpisodeEmbedding = typeof episodeEmbeddings.$inferSelect;
export type AccountMerge = typeof accountMerges.$inferSelect;

/**
 * Leases that keep a background job (the nightly decay) from running twice at once, on either
 * engine: a run takes the lease for a while and gives it back when done; a crashed run's lease
 * simply runs out.
 */
export const jobLeases = pgTable('job_leases', {
  job: text('job').primaryKey(),
  runId: uuid('run_id').notNull(),
  leasedUntil: timestamp('leased_until', { withTimezone: true }).notNull(),
});

/**
 * Rate-limit counters shared by every instance (ARCHITECTURE.md: limits live in PostgreSQL), in
 * the layout rate-limiter-flexible's PostgreSQL store uses: a key, its points in the current
 * window and when the window ends (ms since the epoch). Created here because the app role may
 * not create tables; the store is told it exists.
 */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});
