/**
 * What a state-changing route handler checks before it reads a cookie or a byte of the body: the
 * request comes from the app's own pages (not another site riding the visitor's cookie), and its
 * body is JSON of a bounded size, counted as it is read so an oversized one is never buffered.
 * Framework-free: a standard Request in, a JSON Response to return out.
 */

const refuse = (status: number, error: string) => Response.json({ error }, { status, headers: { 'cache-control': 'no-store' } });

/** Long or odd header values are not echoed whole into a message. */
const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/**
 * The origin `value` as the URL standard writes it (lower-case host, no default port), or
 * undefined for `null`, a path, or anything but http(s).
 */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin;
}

/**
 * Whether `origin` is the app's own. With configured `appOrigins` (APP_ORIGIN) it must be one of
 * them. Without, its host must be the one the browser addressed: the first X-Forwarded-Host, else
 * Host, as Next.js compares for server actions. A page on another site cannot make a browser set
 * either header to anything but the app's host (Host is the browser's; X-Forwarded-Host is not a
 * header a cross-site request can carry without a CORS preflight, which the app never grants).
 */
function isOwnOrigin(origin: string, request: Request, appOrigins: readonly string[]): boolean {
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  if (appOrigins.length) return appOrigins.includes(normalized);
  const addressed = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() || request.headers.get('host');
  if (!addressed) return false;
  // The origin's own scheme: a TLS-terminating proxy may have been crossed, and the default port drops out.
  const own = normalizeOrigin(`${new URL(normalized).protocol}//${addressed}`);
  return own === normalized;
}

/**
 * A 403 when the request was sent by a page of another origin (a sibling subdomain included:
 * SameSite=Lax cookies go along to those), else undefined. Decided by `Origin`; when a browser
 * sends none, by `Sec-Fetch-Site`. A request with neither is not from a current browser (curl, a
 * script, a server) and carries only cookies its sender holds itself, so it goes through.
 */
export function crossSiteRefusal(request: Request, appOrigins: readonly string[]): Response | undefined {
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (isOwnOrigin(origin, request, appOrigins)) return undefined;
    return refuse(403, `Refused: this request came from another site (Origin ${shown(origin)}). Engram accepts changes only from its own pages.`);
  }
  const site = request.headers.get('sec-fetch-site');
  if (site === null || site === 'same-origin' || site === 'none') return undefined;
  return refuse(403, `Refused: this request came from another site (Sec-Fetch-Site ${shown(site)}). Engram accepts changes only from its own pages.`);
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

const kilobytes = (bytes: number) => `${Math.floor(bytes / 1024).toLocaleString('en')} KB`;

/**
 * The request's JSON body, or the answer refusing it: 415 unless it is declared
 * `application/json` (a cross-site form or `text/plain` fetch cannot declare that without a CORS
 * preflight), 413 when its Content-Length or the bytes actually received pass `maxBytes` (the
 * stream is cancelled there, the rest never read), 400 when it is not JSON.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return { ok: false, response: refuse(415, 'Send the request body as JSON, with Content-Type: application/json.') };
  }
  const tooLarge = () => ({ ok: false, response: refuse(413, `The request is larger than ${kilobytes(maxBytes)}, the most this address accepts.`) }) as const;
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return tooLarge();

  const chunks: Uint8Array[] = [];
  let received = 0;
  if (request.body) {
    const reader = request.body.getReader();
    try {
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        received += next.value.byteLength;
        if (received > maxBytes) {
          // Not awaited: cancelling may wait on a sender still uploading, and the 413 should not.
          reader.cancel().catch(() => {});
          return tooLarge();
        }
        chunks.push(next.value);
      }
    } catch {
      // The sender went away mid-body; nobody is left to read a detailed answer.
      return { ok: false, response: refuse(400, 'The request body could not be read.') };
    }
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch {
    return { ok: false, response: refuse(400, 'The request body is not valid JSON.') };
  }
}
