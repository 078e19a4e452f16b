import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/vm/**/*.test.ts', 'examples/overlay-agent/test/**/*.test.ts'],
    // Privileged tests build real namespaces; separate processes keep native handles apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
