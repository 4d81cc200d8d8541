/** Next calls this once when a server starts; the start-up checks need Node, not the edge. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkStartup } = await import('./lib/startup');
    await checkStartup();
  }
}
