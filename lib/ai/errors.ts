/**
 * A vendor failure as a user can read it. The SDKs' errors carry an HTTP status or a connection
 * error name; the raw message (which may name internals) stays in the server log.
 */
export function describeModelError(error: unknown): string {
  const { status, name } = (error ?? {}) as { status?: number; name?: string };
  if (name === 'APIConnectionTimeoutError' || name === 'TimeoutError') return 'The model took too long to answer.';
  if (name === 'APIConnectionError') return 'Could not reach the model provider.';
  if (status === 429) return 'The model provider is rate-limiting requests. Try again in a moment.';
  if (status === 529 || status === 503) return 'The model provider is overloaded. Try again in a moment.';
  if (status === 401 || status === 403) return 'The model provider refused the API key. Check the server settings.';
  if (status && status >= 500) return 'The model provider had an error.';
  return 'Something went wrong while writing the answer.';
}
