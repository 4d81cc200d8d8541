import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // PGlite loads its WASM and extension bundles from its package folder at run time, which
  // bundling would break.
  serverExternalPackages: ['@electric-sql/pglite', '@electric-sql/pglite-pgvector'],
  poweredByHeader: false,
};

export default nextConfig;
