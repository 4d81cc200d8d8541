// `npm run memory:reembed [-- --batch-size 64 --prune]`: after a change of embedding model (or of
// EMBEDDING_DIMENSIONS), gives every current fact and every episode a vector of the configured
// model. Resumable: run it again after an interruption and it continues. With --prune, then
// deletes the vectors of other models. Prints progress to stderr and a JSON summary.
import { parseArgs } from 'node:util';
import { getDatabase } from '../lib/db';
import { getServices } from '../lib/services';

const { values } = parseArgs({
  options: { 'batch-size': { type: 'string', default: '64' }, prune: { type: 'boolean', default: false } },
});

try {
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  const { memory } = await getServices();
  const summary = await memory.reembed({
    batchSize,
    prune: values.prune,
    onBatch: ({ kind, done }) => console.error(`${kind}: ${done} re-embedded`),
  });
  console.log(JSON.stringify({ reembed: summary }));
  await (await getDatabase()).close();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
