/**
 * GET /api/health: for a load balancer or an uptime monitor (lib/ops/health.ts). 200 when ok or
 * degraded, 503 when the database does not answer; it answers within about 2 s even when the
 * database hangs. Public on purpose, with no secret: it reveals counts and times only, never a
 * user's data, an id or an error message.
 */
import { checkHealth } from '@/lib/ops/health';
import { getServices } from '@/lib/services';

export async function GET(): Promise<Response> {
  const health = await checkHealth(async () => (await getServices()).store);
  return Response.json(health, {
    status: health.status === 'down' ? 503 : 200,
    headers: { 'Cache-Control': 'no-store' },
  });
}
