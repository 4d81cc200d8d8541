import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // PGlite loads its WASM and extension bundles from its package folder at run time, and argon2
  // is a native binding: bundling would break both.
  serverExternalPackages: ['@electric-sql/pglite', '@electric-sql/pglite-pgvector', '@node-rs/argon2'],
  poweredByHeader: false,
};

export default nextConfig;
