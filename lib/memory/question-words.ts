import { sql, type SQL } from 'drizzle-orm';

/**
 * The words of a question as a tsquery that matches any of them (a question shares only some
 * words with what it recalls), for facts and past chats alike. A scalar subquery, so PostgreSQL
 * computes it once per statement: inline, a generic plan (a prepared statement's) would parse the
 * question again for every row it tests.
 */
export const questionWords = (text: string): SQL => sql`(SELECT replace(plainto_tsquery('english', ${text})::text, '&', '|')::tsquery)`;
