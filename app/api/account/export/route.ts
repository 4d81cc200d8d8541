/** GET: everything Engram holds about the caller, as a JSON download. */
import { getCurrentUser } from '@/lib/auth/current-user';
import { getDatabase } from '@/lib/db';
import { runAsUser } from '@/lib/db/user-context';
import { exportUserData } from '@/lib/db/user-data';

export async function GET() {
  const user = await getCurrentUser();
  if (!user) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  const { db } = await getDatabase();
  const data = await runAsUser(user.id, () => exportUserData(db, user.id));
  const day = new Date().toISOString().slice(0, 10);
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="engram-data-${day}.json"`,
      'cache-control': 'no-store',
    },
  });
}
