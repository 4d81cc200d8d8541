/** GET: everything Engram holds about the caller, as a JSON download. */
import { readAsSessionUser } from '@/lib/auth/session';
import { exportUserData } from '@/lib/db/user-data';
import { withJsonErrors } from '@/lib/http/json-errors';

export const GET = withJsonErrors('export', async () => {
  const session = await readAsSessionUser((tx, user) => exportUserData(tx, user.id));
  if (!session) return Response.json({ error: 'Not signed in.' }, { status: 401 });
  const data = session.result;
  const day = new Date().toISOString().slice(0, 10);
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="engram-data-${day}.json"`,
      'cache-control': 'no-store',
    },
  });
});
