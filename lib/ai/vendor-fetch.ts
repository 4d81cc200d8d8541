/**
 * fetch for the vendor SDKs, on connections kept open between calls. Node's own fetch closes an
 * idle connection after 4 s (undici's default when the server names no keep-alive time), so a
 * person who read an answer for longer made their next turn open new connections to the
 * embedding and chat APIs: a TCP and a TLS handshake each, two or three round trips before the
 * request could even be sent. Kept for a minute here; the SDKs kept theirs for five when they
 * shipped their own HTTP agent (openai v4, @anthropic-ai/sdk 0.x). A request that meets a
 * connection the vendor closed meanwhile fails as a connection error, which is retried (the
 * SDKs' retries, and the chat's own in stream-limits.ts).
 */
import { Agent, fetch } from 'undici';

/** How long an idle connection to a vendor stays open, unless the vendor asks for less. */
const VENDOR_KEEP_ALIVE_MS = 60_000;

const vendorConnections = new Agent({ keepAliveTimeout: VENDOR_KEEP_ALIVE_MS });

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

// undici's own fetch, which takes its own Agent whatever undici version Node bundles. Its
// argument and Response types are undici's copies of the web types the SDKs declare: the same
// shapes (Node's fetch is this code), different declarations, hence the casts.
export const vendorFetch: Fetch = (input, init) =>
  fetch(input as Parameters<typeof fetch>[0], { ...(init as Parameters<typeof fetch>[1]), dispatcher: vendorConnections }) as unknown as Promise<Response>;
