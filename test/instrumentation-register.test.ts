/**
 * `@agentrace/instrumentation/register` in real child processes (the built package), against the real Anthropic
 * SDK and a loopback server answering as the Anthropic API does, exporting OTLP to a loopback receiver:
 * - another setup registered providers first (a user's SDK file preloaded before it): agentrace uses them, sets
 *   up no second SDK, says so once, and flushes them at exit;
 * - how the process ends is unchanged (uncaught exception, exit code, SIGTERM with and without an app handler),
 *   the spans recorded before the end are exported, and a collector that hangs does not hold the exit.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { spansOf } from './helpers/otlp.js';
import { startOtlpProtobufReceiver } from './helpers/otlp-proto.js';
import { metricsOf, REGISTER, requireBuilt, runChild } from './helpers/register-child.js';
import { ANTHROPIC_MESSAGE_CACHED } from './helpers/responses.js';

// Each test starts one or two Node processes that load the SDKs: seconds each on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const APP = 'fixtures/register/exit-app.cjs';
const USER_SDK = ['--import', './fixtures/register/user-sdk.mjs'];
const CHAT = 'chat claude-haiku-4-5';
const BORROWED = /agentrace: using the OpenTelemetry .* already registered by another setup/g;

let provider: FakeProvider;
let receiver: Awaited<ReturnType<typeof startOtlpProtobufReceiver>>;

beforeAll(async () => {
  requireBuilt();
  provider = await startFakeProvider();
  receiver = await startOtlpProtobufReceiver();
});
afterAll(async () => {
  await provider.close();
  await receiver.close();
});

/** Runs the app once (one Anthropic call queued) and returns the run with what the receiver got from it. */
async function run(opts: {
  preload?: readonly string[];
  env?: Record<string, string>;
  onStdout?: Parameters<typeof runChild>[0]['onStdout'];
}) {
  provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
  const before = receiver.requests.length;
  const result = await runChild({
    app: APP,
    preload: opts.preload,
    onStdout: opts.onStdout,
    env: {
      BASE_URL: provider.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      ...opts.env,
    },
  });
  const requests = receiver.requests.slice(before);
  return { ...result, requests, spans: spansOf(requests) };
}

const killOnReady = (text: string, kill: (s: NodeJS.Signals) => void) => {
  if (text.includes('READY')) kill('SIGTERM');
};

describe('register, when another setup registered providers first', () => {
  it('uses them: the chat span once, in their export, no second SDK, and one line saying so', async () => {
    const r = await run({
      preload: [...USER_SDK, ...REGISTER.import],
      env: { USER_OTLP_URL: receiver.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ANSWER ${ANTHROPIC_MESSAGE_CACHED.id}`);
    expect(r.spans.map((s) => s.name)).toEqual([CHAT]);
    expect(r.spans[0]!.resource['service.name']).toBe('user-sdk');
    expect(typeof r.spans[0]!.attrs['agentrace.usage.cost']).toBe('number');
    // Our own SDK would have exported under another service name, to the same receiver.
    const metricResources = r.requests
      .filter((q) => q.path === '/v1/metrics')
      .map(
        (q) =>
          (q.body as { resourceMetrics: Array<{ resource: { attributes: unknown[] } }> }).resourceMetrics,
      );
    expect(metricResources.length).toBeGreaterThan(0);
    expect(JSON.stringify(metricResources)).not.toContain('unknown_service');
    const metrics = metricsOf(r.requests);
    expect(metrics.has('gen_ai.client.token.usage')).toBe(true);
    expect(metrics.has('agentrace.cost')).toBe(true);
    expect(r.stderr.match(BORROWED)).toHaveLength(1);
    expect(r.stderr).toContain('tracer and meter providers');
    // No terminal tree of a second setup either.
    expect(r.stderr).not.toContain(CHAT);
  });

  it('only a tracer provider registered: spans go to it, agentrace sets up the metrics', async () => {
    const r = await run({
      preload: [...USER_SDK, ...REGISTER.import],
      env: { USER_OTLP_URL: receiver.url, USER_SDK_METRICS: 'off' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([[CHAT, 'user-sdk']]);
    expect(metricsOf(r.requests).has('agentrace.cost')).toBe(true);
    expect(JSON.stringify(r.requests.filter((q) => q.path === '/v1/metrics'))).toContain('unknown_service');
    expect(r.stderr.match(BORROWED)).toHaveLength(1);
    expect(r.stderr).toContain('agentrace sets up metrics only');
  });

  it('alone: its own SDK, and no such line', async () => {
    const r = await run({ preload: REGISTER.import });
    expect(r.code, r.stderr).toBe(0);
    expect(r.spans.map((s) => s.name)).toEqual([CHAT]);
    expect(r.spans[0]!.resource['service.name']).toMatch(/^unknown_service/);
    expect(r.stderr).not.toMatch(BORROWED);
  });
});

describe.each(['import', 'require'] as const)(
  'register with --%s: the process ends as it would have',
  (flag) => {
    it('an uncaught exception: exit code 1, the same error and stack on stderr, the call exported', async () => {
      const baseline = await run({ env: { EXIT_MODE: 'throw' } });
      const r = await run({ preload: REGISTER[flag], env: { EXIT_MODE: 'throw' } });
      expect(baseline.code).toBe(1);
      expect(r.code).toBe(1);
      expect(r.signal).toBeNull();
      const stack = (s: string) => s.slice(s.indexOf('Error: the app failed after its model call'));
      expect(stack(baseline.stderr)).toMatch(
        /^Error: the app failed after its model call\n\s+at \S*failAfterTheCall/,
      );
      expect(stack(r.stderr)).toBe(stack(baseline.stderr));
      // Node's first line names the app's file and line, not agentrace's.
      expect(r.stderr.split('\n')[0]).toBe(baseline.stderr.split('\n')[0]);
      expect(r.spans.map((s) => s.name)).toEqual([CHAT]);
    });

    it('process.exitCode = 3 is kept, and the call is exported', async () => {
      const r = await run({ preload: REGISTER[flag], env: { EXIT_MODE: 'exit-code' } });
      expect(r.code, r.stderr).toBe(3);
      expect(r.spans.map((s) => s.name)).toEqual([CHAT]);
    });

    it('SIGTERM with no handler in the app: it dies by SIGTERM, after the flush', async () => {
      const r = await run({ preload: REGISTER[flag], env: { EXIT_MODE: 'idle' }, onStdout: killOnReady });
      expect(r.signal).toBe('SIGTERM');
      expect(r.code).toBeNull();
      expect(r.spans.map((s) => s.name)).toEqual([CHAT]);
    });

    it('an app with its own SIGTERM handler keeps control: it drains and exits as it decides', async () => {
      const r = await run({ preload: REGISTER[flag], env: { EXIT_MODE: 'handler' }, onStdout: killOnReady });
      expect(r.signal).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('APP HANDLER');
      expect(r.stdout).toContain('APP DRAINED');
    });
  },
);

describe('register, with a collector that never answers', () => {
  let hanging: Server;
  let hangingUrl: string;
  const TIMEOUT_MS = 1000;

  beforeAll(async () => {
    // Reads each request and never answers it.
    hanging = createServer((req) => req.resume());
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise((r) => hanging.close(r));
  });

  const env = (mode: string): Record<string, string> => ({
    EXIT_MODE: mode,
    OTEL_EXPORTER_OTLP_ENDPOINT: hangingUrl,
    OTEL_EXPORTER_OTLP_TIMEOUT: String(TIMEOUT_MS),
  });

  it('a normal end is held no longer than the export timeout, and the exit code is kept', async () => {
    // The baseline exports nowhere: the same app, the same hook, the trace tree on stderr instead.
    const baseline = await run({
      preload: REGISTER.import,
      env: { EXIT_MODE: 'exit-code', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    });
    const r = await run({ preload: REGISTER.import, env: env('exit-code') });
    expect(baseline.code).toBe(3);
    expect(r.code, r.stderr).toBe(3);
    // Generous: spans and metrics time out side by side; a wait for the default 10 s timeout would fail this.
    expect(r.ms - baseline.ms).toBeLessThan(4 * TIMEOUT_MS);
  });

  it('SIGTERM: it still dies by SIGTERM, within the bound', async () => {
    let killedAt = 0;
    const r = await run({
      preload: REGISTER.import,
      env: env('idle'),
      onStdout: (text, kill) => {
        if (killedAt === 0 && text.includes('READY')) {
          killedAt = performance.now();
          kill('SIGTERM');
        }
      },
    });
    const afterKill = performance.now() - killedAt;
    expect(r.signal).toBe('SIGTERM');
    expect(killedAt).toBeGreaterThan(0);
    // The flush waits the shutdown timeout (export timeout + 1 s) at most; generous beyond that.
    expect(afterKill).toBeLessThan(5 * TIMEOUT_MS);
  });
});
