/** GET: one of the caller's answers as it stands, so a page can follow an answer still being written. */
import { z } from 'zod';
import { ONE_STATEMENT_WORK, readAsSessionUser } from '@/lib/auth/session';
import { streamingStaleAfterMs } from '@/lib/chat/answer';
import { loadAnswer } from '@/lib/chat/history';
import { env } from '@/lib/env';
import { withJsonErrors } from '@/lib/http/json-errors';

const turnIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const GET = withJsonErrors('answer', async (_request: Request, { params }: { params: Promise<{ turnId: string }> }) => {
  const turnId = turnIdSchema.safeParse((await params).turnId);
  const staleAfterMs = streamingStaleAfterMs(env().MODEL_TIMEOUT_MS);
  const session = await readAsSessionUser(async (tx, user) => (turnId.success ? loadAnswer(tx, user.id, turnId.data, staleAfterMs) : undefined), ONE_STATEMENT_WORK);
  if (!session) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  if (!session.result) return Response.json({ error: 'No such answer.' }, { status: 404 });
  return Response.json(session.result, { headers: { 'cache-control': 'no-store' } });
});
