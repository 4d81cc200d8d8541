/**
 * GET: whether the caller's turn has had its facts extracted, and what Engram learned from it.
 * DELETE: "don't remember this": forget what was learned from it, and never learn it later.
 */
import { z } from 'zod';
import { getSessionUser, ONE_STATEMENT_WORK, readAsSessionUser } from '@/lib/auth/session';
import { turnMemoryStatus } from '@/lib/chat/memory-status';
import { env } from '@/lib/env';
import { crossSiteRefusal } from '@/lib/http/guard';
import { withJsonErrors } from '@/lib/http/json-errors';
import { getServices } from '@/lib/services';

const turnIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const GET = withJsonErrors('turn memory', async (_request: Request, { params }: { params: Promise<{ turnId: string }> }) => {
  const turnId = turnIdSchema.safeParse((await params).turnId);
  const session = await readAsSessionUser(async (tx, user) => (turnId.success ? turnMemoryStatus(tx, user.id, turnId.data) : undefined), ONE_STATEMENT_WORK);
  if (!session) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  const status = session.result;
  if (!status) return Response.json({ error: 'No such turn.' }, { status: 404 });
  return Response.json(status, { headers: { 'cache-control': 'no-store' } });
});

export const DELETE = withJsonErrors('forget message', async (request: Request, { params }: { params: Promise<{ turnId: string }> }) => {
  // It takes no body; only where it came from is checked.
  const refused = crossSiteRefusal(request, env().APP_ORIGIN);
  if (refused) return refused;
  const turnId = turnIdSchema.safeParse((await params).turnId);
  const user = await getSessionUser();
  if (!user) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  const forgotten = turnId.success ? await (await getServices()).memory.forget.message(user.id, turnId.data) : undefined;
  if (!forgotten) return Response.json({ error: 'No such message.' }, { status: 404 });
  return Response.json({ forgotten }, { headers: { 'cache-control': 'no-store' } });
});
