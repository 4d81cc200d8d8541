/**
 * Runs the fake vendor server on its own, for the browser tests and the turn benchmark:
 * `tsx tests/fakes/serve.ts --port 3101 [--delay-ms 0]`. Scripted over `/_fake/*`.
 */
import { parseArgs } from 'node:util';
import { startFakeVendorServer } from './vendor-server';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '3101' }, 'delay-ms': { type: 'string', default: '0' } },
});
const server = await startFakeVendorServer({ port: Number(values.port), delayMs: Number(values['delay-ms']) });
console.log(`fake vendor server listening on ${server.url}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
