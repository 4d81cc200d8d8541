/** Next calls this once when a server starts; the start-up checks need Node, not the edge. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const [{ checkStartup }, { warmUp }] = await Promise.all([import('./lib/startup'), import('./lib/services')]);
    // Not awaited: the first message would otherwise wait seconds for the offline embedder to
    // load, and the server need not wait for it to answer pages. A failure here is only logged:
    // the first turn that needs the embedder tries again and reports it.
    const started = performance.now();
    void warmUp().then(
      () => console.log(`[engram] warmed up in ${Math.round(performance.now() - started)} ms`),
      (error: unknown) => console.error(`[engram] warm-up failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    await checkStartup();
  }
}
