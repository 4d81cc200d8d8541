// `npm run memory:reembed [-- --batch-size 64 --prune]`: after a change of embedding model (or of
// EMBEDDING_DIMENSIONS), gives every current fact and every episode a vector of the configured
// model. Resumable: run it again after an interruption and it continues. With --prune, then
// deletes the vectors of other models. Prints progress to stderr and a JSON summary.
import { getDatabase } from '../lib/db';
import { getServices } from '../lib/services';
import { parseCommand } from './cli';

const cli = parseCommand({
  name: 'npm run memory:reembed',
  summary: `After a change of embedding model (or of EMBEDDING_DIMENSIONS), gives every current fact and
episode a vector of the configured model. Resumable: run it again after an interruption. Prints
progress to stderr and a JSON summary.`,
  options: {
    'batch-size': { type: 'string', default: '64', value: 'N', help: 'Texts embedded per call' },
    prune: { type: 'boolean', default: false, help: 'Then delete the vectors of other models' },
  },
});
const { values } = cli;
const batchSize = cli.integer('batch-size');

try {
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
