import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources, so no build is needed between an edit and a test run.
    alias: {
      '@agentrace/instrumentation/mcp': fileURLToPath(
        new URL('./packages/instrumentation/src/mcp/index.ts', import.meta.url),
      ),
      '@agentrace/core': src('core'),
      '@agentrace/pricing': src('pricing'),
      '@agentrace/otel-exporter': src('otel-exporter'),
      '@agentrace/ai-sdk': src('ai-sdk'),
      '@agentrace/redis': src('redis'),
      '@agentrace/instrumentation': src('instrumentation'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'reliability/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: [
        '**/*.test.ts',
        '**/index.ts',
        '**/test-helpers/**',
        // The AI SDK's current major needs Node 22; on older Node its tests skip, so its sources are not measured.
        ...(NODE_MAJOR < 22 ? ['packages/ai-sdk/**'] : []),
      ],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
