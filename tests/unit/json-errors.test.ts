import { describe, expect, it, vi } from 'vitest';
import { ConnectionLostError } from '@/lib/db/errors';
import { withJsonErrors } from '@/lib/http/json-errors';

describe('route errors', () => {
  it('answers an unexpected failure with JSON a person can read, and logs its cause in one line', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const route = withJsonErrors('export', async () => {
      throw new Error('terminating connection due to administrator command');
    });
    const response = await route();
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Something went wrong on our side. Try again in a moment.' });
    expect(logged.mock.calls).toEqual([['[export] failed: terminating connection due to administrator command']]);
    logged.mockRestore();
  });

  it('answers a database that cannot serve the request now with a 503 to try again', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const route = withJsonErrors('export', async () => {
      throw new ConnectionLostError({ cause: new Error('Connection terminated unexpectedly') });
    });
    const response = await route();
    expect([response.status, response.headers.get('retry-after')]).toEqual([503, '2']);
    expect((await response.json()) as { error: string }).toEqual({ error: expect.stringContaining('Try again in a moment') });
    logged.mockRestore();
  });

  it('passes an answer through untouched', async () => {
    const route = withJsonErrors('echo', async (request: Request) => new Response(await request.text(), { status: 201 }));
    const response = await route(new Request('http://localhost/', { method: 'POST', body: 'hi' }));
    expect([response.status, await response.text()]).toEqual([201, 'hi']);
  });
});
