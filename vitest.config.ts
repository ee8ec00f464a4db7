import { defineConfig } from 'vitest/config';

export default defineConfig({
  // type-graphql and the tests must share one copy of graphql ("another module or realm").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The second launches the run's one Chromium, only if a browser test asks for it.
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/chromium-global-setup.ts'],
    setupFiles: ['reflect-metadata'],
  },
});
