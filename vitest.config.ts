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
    // `vitest run --coverage` (`npm run coverage`; CI runs `npm test -- --coverage`)
    // measures src/ and fails under 85 % of lines; plain `vitest run` measures
    // nothing. Only code run inside the test workers counts: servers the tests
    // spawn as processes (spawnHerald) are not measured, which vitest 4 cannot do.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The console's browser code runs in Chromium (test/console-browser.test.ts), and src/cli in the
      // child processes its tests start (as users run it): v8 coverage of this process sees neither,
      // as with the server processes; the CLI's pure parts have unit tests.
      exclude: ['src/client/generated/**', 'src/cli/**', 'src/**/*.d.ts', 'src/console/web/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // Figures even when a test fails, so a red run still says where coverage stands.
      reportOnFailure: true,
      thresholds: { lines: 85 },
    },
  },
});
