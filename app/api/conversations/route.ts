/** GET: the caller's conversations, newest first, for the sidebar to follow a chat without a page render. */
import { ONE_STATEMENT_WORK, readAsSessionUser } from '@/lib/auth/session';
import { listConversations } from '@/lib/db/queries';
import { withJsonErrors } from '@/lib/http/json-errors';

export const GET = withJsonErrors('conversations', async () => {
  const session = await readAsSessionUser((tx, user) => listConversations(tx, user.id), ONE_STATEMENT_WORK);
  if (!session) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  return Response.json({ conversations: session.result }, { headers: { 'cache-control': 'no-store' } });
});
