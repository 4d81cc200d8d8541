/** GET: whether the caller's turn has had its facts extracted, and what Engram learned from it. */
import { getCurrentUser } from '@/lib/auth/current-user';
import { turnMemoryStatus } from '@/lib/chat/memory-status';
import { getDatabase } from '@/lib/db';
import { runAsUser } from '@/lib/db/user-context';

export async function GET(_request: Request, { params }: { params: Promise<{ turnId: string }> }) {
  const user = await getCurrentUser();
  if (!user) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  const turnId = Number((await params).turnId);
  const { db } = await getDatabase();
  const status =
    Number.isSafeInteger(turnId) && turnId > 0 ? await runAsUser(user.id, () => turnMemoryStatus(db, user.id, turnId)) : undefined;
  if (!status) return Response.json({ error: 'No such turn.' }, { status: 404 });
  return Response.json(status, { headers: { 'cache-control': 'no-store' } });
}
