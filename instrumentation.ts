/** Next calls this once when a server starts; the start-up checks need Node, not the edge. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const [{ checkStartup }, { warmUp }] = await Promise.all([import('./lib/startup'), import('./lib/services')]);
    await checkStartup();
    // Then, not awaited: the first message would otherwise wait for the offline embedder to load,
    // and pages need not wait for it. Started after the database, not beside it: on two cores the
    // two loads slowed each other and pages came up seconds later. A failure is only logged: the
    // first turn that needs the embedder tries again and reports it.
    const started = performance.now();
    void warmUp().then(
      () => console.log(`[engram] warmed up in ${Math.round(performance.now() - started)} ms`),
      (error: unknown) => console.error(`[engram] warm-up failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}
