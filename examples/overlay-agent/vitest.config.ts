// Runs this example's tests on their own (`npx vitest run --config examples/overlay-agent/vitest.config.ts`
// from the repository root); the root config includes them too.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['examples/overlay-agent/test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
