/**
 * One person's data is theirs alone, attacked over HTTP on the production build as the plain app
 * role: another user's conversation, answer, retry, export and conversation list are refused or empty, nothing is
 * stored in their conversation, and a message carrying HTML comes back as text, never as markup.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, guestCookie, postChat, query, startApp, startFakeVendorServer, type App, type FakeVendorServer } from '../helpers/app-server';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_security_isolation');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

it("refuses every way of reading or writing another user's conversation by its ids", async () => {
  const [owner, intruder] = await Promise.all([guestCookie(app.url), guestCookie(app.url)]);
  const mine = await postChat(app.url, owner!, { message: 'My secret is that I live in Lyon.' });
  const start = mine.events[0];
  if (start?.type !== 'start' || !start.conversationId || start.userTurnId === null) throw new Error('no conversation');
  const [answer] = await query<{ id: string }>(adminUrl, "SELECT id FROM conversation_turns WHERE conversation_id = $1 AND role = 'assistant'", [start.conversationId]);

  const as = (cookie: string, path: string) => fetch(`${app.url}${path}`, { headers: { cookie } });
  expect((await as(intruder!, `/chat/${start.conversationId}`)).status).toBe(404);
  expect((await as(intruder!, `/api/chat/turns/${answer!.id}`)).status).toBe(404);
  expect((await as(intruder!, `/api/chat/turns/${start.userTurnId}/memory`)).status).toBe(404);
  const forget = await fetch(`${app.url}/api/chat/turns/${start.userTurnId}/memory`, { method: 'DELETE', headers: { cookie: intruder! } });
  expect(forget.status).toBe(404);
  expect((await postChat(app.url, intruder!, { conversationId: start.conversationId, message: 'I was here' })).status).toBe(404);
  expect((await postChat(app.url, intruder!, { conversationId: start.conversationId, retry: true })).status).toBe(404);
  const exported = await (await as(intruder!, '/api/account/export')).text();
  expect(exported).not.toContain('Lyon');
  // The sidebar's list names the caller's conversations only; a visitor with no session has none.
  const listed = (await (await as(intruder!, '/api/conversations')).json()) as { conversations: { id: string }[] };
  expect(listed.conversations.map((c) => c.id)).not.toContain(start.conversationId);
  expect((await fetch(`${app.url}/api/conversations`)).status).toBe(401);
  const own = (await (await as(owner!, '/api/conversations')).json()) as { conversations: { id: string; title: string | null }[] };
  expect(own.conversations.map((c) => c.id)).toEqual([start.conversationId]);

  const turns = await query<{ content: string }>(adminUrl, 'SELECT content FROM conversation_turns WHERE conversation_id = $1 ORDER BY id', [start.conversationId]);
  expect(turns.map((t) => t.content)).toEqual(['My secret is that I live in Lyon.', expect.any(String)]);
  // The owner still reads it.
  expect((await as(owner!, `/chat/${start.conversationId}`)).status).toBe(200);
});

it('shows a message carrying HTML as text, in the page and in the answer', async () => {
  const cookie = await guestCookie(app.url);
  const attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  fake.script({ match: { forcedTool: 'none' }, text: `You said ${attack}` });
  const sent = await postChat(app.url, cookie, { message: attack });
  const start = sent.events[0];
  if (start?.type !== 'start' || !start.conversationId) throw new Error('no conversation');
  const html = await (await fetch(`${app.url}/chat/${start.conversationId}`, { headers: { cookie } })).text();
  expect(html).not.toContain('<script>alert(2)</script>');
  expect(html).not.toContain('<img src=x onerror');
  expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
});
