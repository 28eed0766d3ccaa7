import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of graphql for every importer: Node loads graphql's CommonJS build
  // for dependencies, and two copies refuse each other's types.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // A real redis-server and real server processes per file; a file's tests share them.
    sequence: { concurrent: false },
  },
});
