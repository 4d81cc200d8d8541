/**
 * Writes come from the app's own pages only, and bodies are bounded before they are read,
 * attacked over HTTP on the production build: another site's (or a sibling origin's) POST
 * carrying the visitor's cookie is refused and stores nothing; a 100 MB body is refused at once
 * without the server holding it; an oversized temporary chat is refused with its message; and
 * Next.js's own check of server actions' origin holds for a no-JavaScript form post.
 */
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, guestCookie, query, startApp, startFakeVendorServer, type App, type FakeVendorServer } from '../helpers/app-server';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_security_guards');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const MB = 1024 * 1024;

/** Rows a write could have left anywhere in the database. */
async function stored() {
  const [counts] = await query<Record<string, string>>(
    adminUrl,
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM conversations) AS conversations,
            (SELECT count(*) FROM conversation_turns) AS turns, (SELECT count(*) FROM user_facts) AS facts`,
  );
  return counts;
}

const chat = (headers: Record<string, string>, body: BodyInit) => fetch(`${app.url}/api/chat`, { method: 'POST', headers, body });

it("refuses another site's text/plain POST carrying the visitor's cookie, and stores nothing", async () => {
  const cookie = await guestCookie(app.url);
  const before = await stored();
  // What a page on evil.example can send without a CORS preflight: a "simple" text/plain POST.
  const attack = JSON.stringify({ message: 'I live in CSRFville.' });
  const forged = await chat({ cookie, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain;charset=UTF-8' }, attack);
  expect(forged.status).toBe(403);
  expect(await forged.json()).toEqual({ error: 'Refused: this request came from another site (Origin "http://evil.example"). Engram accepts changes only from its own pages.' });
  // A browser that leaves Origin out is judged by Sec-Fetch-Site.
  const noOrigin = await chat({ cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, attack);
  expect(noOrigin.status).toBe(403);
  // Even from the app's own origin, text/plain is not taken for JSON.
  const plain = await chat({ cookie, origin: app.url, 'content-type': 'text/plain' }, attack);
  expect([plain.status, ((await plain.json()) as { error: string }).error]).toEqual([415, 'Send the request body as JSON, with Content-Type: application/json.']);
  // "Don't remember this" is a write too.
  const forget = await fetch(`${app.url}/api/chat/turns/1/memory`, { method: 'DELETE', headers: { cookie, origin: 'http://evil.example' } });
  expect(forget.status).toBe(403);
  expect(await stored()).toEqual(before);
});

it('refuses a sibling origin of the same site (another port of the same host: SameSite=Lax cookies go there), by Origin and by Sec-Fetch-Site', async () => {
  const cookie = await guestCookie(app.url);
  const before = await stored();
  const sibling = new URL(app.url);
  sibling.port = String(Number(sibling.port) + 1);
  const body = JSON.stringify({ message: 'I live in Siblingville.' });
  const byOrigin = await chat({ cookie, origin: sibling.origin, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body);
  expect(byOrigin.status).toBe(403);
  expect(((await byOrigin.json()) as { error: string }).error).toContain(`Origin "${sibling.origin}"`);
  const bySite = await chat({ cookie, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body);
  expect(bySite.status).toBe(403);
  expect(await stored()).toEqual(before);
});

it("answers the app's own pages' JSON as before, and a client that sends no Origin (curl, a script)", async () => {
  const cookie = await guestCookie(app.url);
  const headers = { cookie, 'content-type': 'application/json' };
  const own = await chat({ ...headers, origin: app.url, 'sec-fetch-site': 'same-origin' }, JSON.stringify({ message: 'I live in Lyon.' }));
  expect(own.status).toBe(200);
  expect(await own.text()).toContain('"type":"done"');
  const script = await chat(headers, JSON.stringify({ message: 'And I keep bees.' }));
  expect(script.status).toBe(200);
  await script.text();
  const turns = await query<{ content: string }>(adminUrl, "SELECT content FROM conversation_turns WHERE role = 'user' AND content IN ('I live in Lyon.', 'And I keep bees.')");
  expect(turns).toHaveLength(2);
});

/** The server's resident memory now and at its peak so far, in MB (Linux's /proc). */
function serverMemory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${app.pid()}/status`, 'utf8');
  // The process that serves (`next start` does not fork one), not a launcher.
  expect(status).toMatch(/^Name:\s+next-server/m);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** 100 MB of a JSON message, produced a megabyte at a time as it is sent (never whole in memory). */
function hundredMegabytes(counter: { sent: number }) {
  const megabyte = new Uint8Array(MB).fill(0x78);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.sent === 0) controller.enqueue(new TextEncoder().encode('{"message":"'));
      if (counter.sent >= 100 * MB) return controller.close();
      counter.sent += MB;
      controller.enqueue(megabyte);
    },
  });
}

it('answers a 100 MB body with 413 at once, declared or not, and the server never holds it', async () => {
  const cookie = await guestCookie(app.url);
  // Warm: the route's modules loaded, so what follows measures the body alone.
  await (await chat({ cookie, 'content-type': 'application/json' }, JSON.stringify({ message: 'warm up' }))).text();
  const before = serverMemory();

  // Undeclared (chunked): the server counts what it reads and stops at the limit.
  const chunked = { sent: 0 };
  let started = performance.now();
  const streamed = await fetch(`${app.url}/api/chat`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: hundredMegabytes(chunked),
    duplex: 'half',
  } as RequestInit);
  const chunkedMs = performance.now() - started;
  expect(streamed.status).toBe(413);
  expect(await streamed.json()).toEqual({ error: 'The request is larger than 133 KB, the most this address accepts.' });

  // Declared: refused on the Content-Length, before a byte of the body is read.
  started = performance.now();
  const declared = await postDeclared(100 * MB, cookie);
  const declaredMs = performance.now() - started;
  expect(declared.status).toBe(413);

  const after = serverMemory();
  console.log(
    `100 MB bodies: chunked 413 in ${chunkedMs.toFixed(0)} ms after ${chunked.sent / MB} MB offered; declared 413 in ${declaredMs.toFixed(0)} ms after ` +
      `${(declared.sent / MB).toFixed(1)} MB written; server RSS ${before.rss.toFixed(0)} -> ${after.rss.toFixed(0)} MB, peak ${before.peak.toFixed(0)} -> ${after.peak.toFixed(0)} MB`,
  );
  expect(chunkedMs).toBeLessThan(2000);
  expect(declaredMs).toBeLessThan(2000);
  // Reading the body whole took the server from 246 to 651 MB; the limit is 133 KB.
  expect(after.peak - before.peak).toBeLessThan(32);
  // The server still answers.
  expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
});

/** A POST declaring `length` bytes, written a megabyte at a time until the answer comes. */
function postDeclared(length: number, cookie: string): Promise<{ status: number; sent: number }> {
  const megabyte = Buffer.alloc(MB, 0x78);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = httpRequest(`${app.url}/api/chat`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'content-length': String(length) },
    });
    request.on('response', (response) => {
      answered = true;
      response.resume();
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, sent });
      });
    });
    // Once answered, the server may close the connection under the rest of the upload.
    request.on('error', (error) => !answered && reject(error));
    const pump = () => {
      while (!answered && sent < length) {
        sent += MB;
        if (!request.write(megabyte)) return void request.once('drain', pump);
      }
      if (!answered) request.end();
    };
    pump();
  });
}

it("refuses a temporary chat's history past its turns or characters with its message, before any model is called", async () => {
  const cookie = await guestCookie(app.url);
  const calls = fake.requests.length;
  const send = async (history: { role: 'user' | 'assistant'; content: string }[]) => {
    const response = await chat({ cookie, origin: app.url, 'content-type': 'application/json' }, JSON.stringify({ temporary: true, message: 'and now?', history }));
    return [response.status, ((await response.json()) as { error: string }).error] as const;
  };
  const turns = (count: number, chars: number) => Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'y'.repeat(chars) }) as const);
  const message =
    'This temporary chat is too long to go on: it can carry 40 messages and 32,000 characters, since your browser sends them all with each message. ' +
    'Start a new temporary chat, or a normal chat, which keeps its history on the server.';
  // The attack: 100 items of 100,000 characters (10 MB) is now refused by size alone.
  expect((await send(turns(100, 100_000)))[0]).toBe(413);
  expect(await send(turns(41, 10))).toEqual([400, message]);
  expect(await send(turns(4, 8001))).toEqual([400, message]);
  expect(fake.requests.length).toBe(calls);
  // Within the caps it is answered.
  const ok = await chat({ cookie, origin: app.url, 'content-type': 'application/json' }, JSON.stringify({ temporary: true, message: 'and now?', history: turns(40, 800) }));
  expect(ok.status).toBe(200);
  await ok.text();
});

it("server actions: Next.js refuses another site's call of the memory switch's action, and takes the app's own", async () => {
  const cookie = await guestCookie(app.url);
  const manifest = JSON.parse(readFileSync(`${process.env.NEXT_DIST_DIR || '.next'}/server/server-reference-manifest.json`, 'utf8')) as {
    node: Record<string, { exportedName?: string }>;
  };
  const actionId = Object.entries(manifest.node).find(([, entry]) => entry.exportedName === 'setMemoryAction')?.[0];
  expect(actionId).toBeDefined();
  const switchOff = (origin: string) => {
    // React's encoding of one FormData argument; with no "enabled" field the switch is off.
    const body = new FormData();
    body.append('0', JSON.stringify(['$K1']));
    return fetch(`${app.url}/settings/memory`, {
      method: 'POST',
      headers: { cookie, origin, 'next-action': actionId!, accept: 'text/x-component' },
      body,
      redirect: 'manual',
    });
  };
  const off = async () => (await query<{ n: string }>(adminUrl, 'SELECT count(*) AS n FROM users WHERE NOT memory_enabled'))[0]!.n;

  const before = await off();
  // Next.js answers "Invalid Server Actions request." (logged) as a 500, without running the action.
  expect((await switchOff('http://evil.example')).status).toBe(500);
  expect(await off()).toBe(before);
  await switchOff(app.url);
  expect(Number(await off())).toBe(Number(before) + 1);
});
