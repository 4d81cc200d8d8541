import { describe, expect, it } from 'vitest';
import { crossSiteRefusal, readJsonBody } from '@/lib/http/guard';
import { parseEnv } from '@/lib/env';

const post = (headers: Record<string, string>, body?: BodyInit) =>
  new Request('http://localhost:3000/api/chat', { method: 'POST', headers, body, duplex: 'half' } as RequestInit);

const errorOf = async (response: Response | undefined) => ((await response?.json()) as { error?: string } | undefined)?.error;

describe('cross-site refusal', () => {
  it('lets the app’s own pages through, by the host the browser addressed', () => {
    expect(crossSiteRefusal(post({ host: 'localhost:3000', origin: 'http://localhost:3000' }), [])).toBeUndefined();
    // Case and the default port do not matter; a TLS-terminating proxy forwards the public host.
    expect(crossSiteRefusal(post({ host: 'ENGRAM.example:443', origin: 'https://engram.example' }), [])).toBeUndefined();
    expect(crossSiteRefusal(post({ host: '127.0.0.1:3000', 'x-forwarded-host': 'engram.example, 10.0.0.1', origin: 'https://engram.example' }), [])).toBeUndefined();
  });

  it('refuses another site, a sibling subdomain, another port and an opaque origin with 403 and a reason', async () => {
    for (const origin of ['http://evil.example', 'http://evil.localhost:3000', 'http://localhost:3001', 'null', 'not a url']) {
      const refused = crossSiteRefusal(post({ host: 'localhost:3000', origin }), []);
      expect(refused?.status).toBe(403);
      expect(await errorOf(refused)).toMatch(/another site .*accepts changes only from its own pages/);
    }
  });

  it('with APP_ORIGIN, takes that origin alone, whatever the Host says', async () => {
    const appOrigins = parseEnv({ APP_ORIGIN: 'https://engram.example, https://chat.example.org:8443/' }).APP_ORIGIN;
    expect(appOrigins).toEqual(['https://engram.example', 'https://chat.example.org:8443']);
    expect(crossSiteRefusal(post({ host: '127.0.0.1:3000', origin: 'https://engram.example' }), appOrigins)).toBeUndefined();
    expect(crossSiteRefusal(post({ host: '127.0.0.1:3000', origin: 'https://chat.example.org:8443' }), appOrigins)).toBeUndefined();
    // The scheme counts here: it is configured, not guessed.
    expect(crossSiteRefusal(post({ host: 'engram.example', origin: 'http://engram.example' }), appOrigins)?.status).toBe(403);
    expect(crossSiteRefusal(post({ host: 'evil.example', origin: 'https://evil.example' }), appOrigins)?.status).toBe(403);
  });

  it('refuses an APP_ORIGIN that is not an origin, naming it', () => {
    for (const value of ['engram.example', 'https://engram.example/app', 'ftp://engram.example', 'https://engram.example?x=1']) {
      expect(() => parseEnv({ APP_ORIGIN: value })).toThrow(/APP_ORIGIN: expected origins such as https:\/\/engram\.example\.com/);
    }
  });

  it('without Origin, decides by Sec-Fetch-Site; with neither (curl, a server), lets it through', async () => {
    expect(crossSiteRefusal(post({ host: 'localhost:3000', 'sec-fetch-site': 'same-origin' }), [])).toBeUndefined();
    expect(crossSiteRefusal(post({ host: 'localhost:3000' }), [])).toBeUndefined();
    for (const site of ['same-site', 'cross-site']) {
      const refused = crossSiteRefusal(post({ host: 'localhost:3000', 'sec-fetch-site': site }), []);
      expect(refused?.status).toBe(403);
      expect(await errorOf(refused)).toContain(`Sec-Fetch-Site "${site}"`);
    }
  });
});

describe('JSON body', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('reads a JSON body within the limit', async () => {
    expect(await readJsonBody(post(json, '{"message":"hi"}'), 100)).toEqual({ ok: true, value: { message: 'hi' } });
  });

  it('refuses anything but application/json with 415 (text/plain and forms are what another site can send)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const read = await readJsonBody(post({ 'content-type': type }, '{"message":"hi"}'), 100);
      expect(read.ok ? 200 : read.response.status).toBe(415);
    }
    const untyped = await readJsonBody(new Request('http://localhost/', { method: 'POST', body: new Uint8Array([123, 125]) }), 100);
    expect(untyped.ok ? 200 : untyped.response.status).toBe(415);
  });

  it('refuses a declared Content-Length over the limit with 413 without reading a byte', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });
    const read = await readJsonBody(post({ ...json, 'content-length': '1000000' }, body), 1024);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.response.status).toBe(413);
    expect(await errorOf(read.response)).toBe('The request is larger than 1 KB, the most this address accepts.');
    expect(pulled).toBeLessThanOrEqual(1); // a stream may pull once to fill its queue; nothing is read from it
  });

  it('counts the bytes of an undeclared body as they come, and stops and cancels at the limit', async () => {
    let sent = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1000;
        controller.enqueue(new Uint8Array(1000).fill(32));
      },
      cancel() {
        cancelled = true;
      },
    });
    const read = await readJsonBody(post(json, body), 10_000);
    expect(read.ok ? 200 : read.response.status).toBe(413);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cancelled).toBe(true);
    // An endless body: it stopped after the limit, give or take the stream's queue.
    expect(sent).toBeLessThanOrEqual(13_000);
  });

  it('takes a body of exactly the limit', async () => {
    const body = `"${'x'.repeat(98)}"`;
    expect((await readJsonBody(post(json, body), 100)).ok).toBe(true);
    expect((await readJsonBody(post(json, `${body} `), 100)).ok).toBe(false);
  });

  it('refuses a body that is not JSON, or not UTF-8, with 400', async () => {
    for (const body of ['{"message":', '', new Uint8Array([0x22, 0xff, 0x22])]) {
      const read = await readJsonBody(post(json, body), 100);
      expect(read.ok ? 200 : read.response.status).toBe(400);
      if (!read.ok) expect(await errorOf(read.response)).toBe('The request body is not valid JSON.');
    }
  });
});
