import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used: migrations are applied by lib/db/migrate.ts, which works
// on both engines (drizzle-kit's own migrate cannot load PGlite's extensions).
export default defineConfig({
  dialect: 'postgresql',
  schema: './lib/db/schema.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
