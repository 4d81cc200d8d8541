/**
 * GET /api/cron/decay: the nightly job, called by Vercel Cron (vercel.json) with
 * `Authorization: Bearer $CRON_SECRET`; answers its JSON summary (guests expired, facts expired,
 * capped and purged, rate-limit rows swept, turns swept). Without a configured secret it refuses
 * to run at all.
 */
import { hasBearerSecret } from '@/lib/auth/bearer';
import { env } from '@/lib/env';
import { withJsonErrors } from '@/lib/http/json-errors';
import { defaultDecayOptions } from '@/lib/memory/decay';
import { recordNightlyRun } from '@/lib/ops/nightly';
import { decayPolicyFrom, getServices } from '@/lib/services';

// A large run takes a while; Vercel's default function limit would cut it short.
export const maxDuration = 300;

export const GET = withJsonErrors('decay', async (request: Request) => {
  const settings = env();
  if (!settings.CRON_SECRET) {
    return Response.json({ error: 'CRON_SECRET is not configured, so the job does not run.' }, { status: 503 });
  }
  if (!hasBearerSecret(request.headers.get('authorization'), settings.CRON_SECRET)) {
    return Response.json({ error: 'Unauthorized.' }, { status: 401 });
  }
  const { memory, store } = await getServices();
  // The job works across all users, in system units of work of its own; /api/health reports how it ended.
  const summary = await recordNightlyRun(store, () =>
    memory.decay({ ...defaultDecayOptions, policy: decayPolicyFrom(settings), guestTtlDays: settings.GUEST_TTL_DAYS }),
  );
  console.log(`[decay] ${JSON.stringify(summary)}`);
  return Response.json(summary);
});
