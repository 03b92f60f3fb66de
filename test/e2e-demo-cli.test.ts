/**
 * The demo's command line and its simulated parts: argument parsing, the `--stack` wiring (collector wait,
 * environment), the CLI process itself as `pnpm demo` starts it, and the simulated providers, tools, clock and
 * random streams the demo is built on (each of which says it is simulated).
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TurnTimeoutError, ValidationError } from '@agentrace/core';
import { createStyle } from '@agentrace/otel-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../examples/demo/cli.js';
import { parseDemoArgs, STACK_DEFAULT_RUNS, USAGE } from '../examples/demo/cli-args.js';
import { Narrator, tidyDetail, usd } from '../examples/demo/narrator.js';
import { seededRandom } from '../examples/demo/random.js';
import { SimulatedClock } from '../examples/demo/simulated-clock.js';
import {
  estimateTokens,
  responseText,
  SimulatedApiError,
  SimulatedProvider,
  type SimulatedRequest,
} from '../examples/demo/simulated-provider.js';
import { noSecretsGuardrail, SimulatedTools } from '../examples/demo/simulated-tools.js';
import { STACK_OTLP_ENDPOINT, stackEnv, waitForCollector } from '../examples/demo/stack.js';
import { freePort } from './helpers/prometheus.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function capture() {
  let text = '';
  return {
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
    },
    get text() {
      return text;
    },
  };
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (ValidationError.isInstance(err)) return err.field;
    throw err;
  }
  return undefined;
}

describe('parseDemoArgs', () => {
  it('reads every option, in both --flag value and --flag=value forms', () => {
    expect(parseDemoArgs([])).toEqual({ options: {}, stack: false, sharedState: undefined, help: false });
    expect(
      parseDemoArgs([
        '--',
        '--seed',
        '7',
        '--runs=3',
        '--prometheus-port',
        '0',
        '--scrape-timeout=500',
        '--shared-state',
        'redis://localhost:6379',
      ]),
    ).toEqual({
      options: { seed: 7, runs: 3, prometheus: { port: 0 }, scrapeTimeoutMs: 500 },
      stack: false,
      sharedState: 'redis://localhost:6379',
      help: false,
    });
    expect(parseDemoArgs(['-h']).help).toBe(true);
    expect(parseDemoArgs(['--help']).help).toBe(true);
  });

  it('runs several rounds with --stack unless --runs says otherwise', () => {
    expect(parseDemoArgs(['--stack']).options.runs).toBe(STACK_DEFAULT_RUNS);
    expect(parseDemoArgs(['--stack', '--runs', '1']).options.runs).toBe(1);
  });

  it('refuses unknown flags, missing values and bad numbers, naming the flag', () => {
    expect(fieldOf(() => parseDemoArgs(['--nope']))).toBe('argument');
    expect(fieldOf(() => parseDemoArgs(['--seed']))).toBe('--seed');
    expect(fieldOf(() => parseDemoArgs(['--seed', '-1']))).toBe('--seed');
    expect(fieldOf(() => parseDemoArgs(['--seed', '1e3']))).toBe('--seed');
    expect(fieldOf(() => parseDemoArgs(['--runs', '0']))).toBe('--runs');
    expect(fieldOf(() => parseDemoArgs(['--prometheus-port', '70000']))).toBe('--prometheus-port');
    expect(fieldOf(() => parseDemoArgs(['--scrape-timeout=']))).toBe('--scrape-timeout');
    expect(fieldOf(() => parseDemoArgs(['--shared-state', 'localhost:6379']))).toBe('--shared-state');
    expect(fieldOf(() => parseDemoArgs(['--shared-state']))).toBe('--shared-state');
  });
});

describe('runCli', () => {
  it('prints the usage for --help and exits 0', async () => {
    const out = capture();
    const err = capture();
    expect(await runCli(['--help'], { stdout: out.stream, stderr: err.stream, env: {} })).toBe(0);
    expect(out.text).toBe(`${USAGE}\n`);
    expect(USAGE).toMatch(/SIMULATED/);
    expect(err.text).toBe('');
  });

  it('exits 2 with the reason for a bad argument', async () => {
    const err = capture();
    expect(await runCli(['--runs', 'many'], { stdout: capture().stream, stderr: err.stream, env: {} })).toBe(
      2,
    );
    expect(err.text).toContain('--runs must be an integer from 1 to 1000, got "many"');
    expect(err.text).toContain('--help');
  });

  it('with --stack, exits 1 and says how to start the stack when no collector answers', async () => {
    const port = await freePort();
    const out = capture();
    const err = capture();
    const code = await runCli(['--stack'], {
      stdout: out.stream,
      stderr: err.stream,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      collectorTimeoutMs: 300,
    });
    expect(code).toBe(1);
    expect(out.text).toContain(`waiting for the collector at http://127.0.0.1:${port}`);
    expect(err.text).toContain('docker compose up -d');
  });

  it('exits 2 naming the variable and the accepted values when the OTLP protocol is unknown', async () => {
    const err = capture();
    const code = await runCli([], {
      stdout: capture().stream,
      stderr: err.stream,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' },
    });
    expect(code).toBe(2);
    expect(err.text).toBe(
      'agentrace demo: OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, grpc, got "http/xml"\n',
    );
  });

  it('runs the demo and exits 0 when it showed everything', async () => {
    const out = capture();
    const code = await runCli(['--seed', '5'], { stdout: out.stream, stderr: capture().stream, env: {} });
    expect(code).toBe(0);
    expect(out.text).toContain('agentrace demo · seed 5 · 1 round');
    expect(out.text).toContain('What this run showed');
  });
});

describe('the demo as a process (pnpm demo)', () => {
  it('runs examples/demo/main.ts with tsx, prints the run and exits 0', async () => {
    const child = spawn(`${ROOT}/node_modules/.bin/tsx`, ['examples/demo/main.ts', '--seed', '9'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('SIMULATED model providers');
    expect(stdout).toContain('invoke_workflow research-report');
    expect(stdout).toContain('Cost by agent and model (agentrace-demo)');
    expect(stdout).not.toContain('✗ missing');
  }, 30_000);
});

describe('--stack wiring', () => {
  let server: ReturnType<typeof createHttpServer>;
  let url: string;
  beforeAll(async () => {
    server = createHttpServer((_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('points traces at the stack unless an endpoint is already set', () => {
    expect(stackEnv({ HOME: '/root' })).toEqual({
      HOME: '/root',
      OTEL_EXPORTER_OTLP_ENDPOINT: STACK_OTLP_ENDPOINT,
    });
    expect(stackEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    const traces = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' };
    expect(stackEnv(traces)).toBe(traces);
  });

  it('waits for a collector that accepts connections, and gives up on one that does not', async () => {
    expect(await waitForCollector(`${url}/v1/traces`, { timeoutMs: 2000 })).toBe(true);
    const closed = await freePort();
    expect(await waitForCollector(`http://127.0.0.1:${closed}`, { timeoutMs: 250, intervalMs: 50 })).toBe(
      false,
    );
    const aborted = AbortSignal.abort();
    expect(await waitForCollector(`http://127.0.0.1:${closed}`, { timeoutMs: 5000, signal: aborted })).toBe(
      false,
    );
    const controller = new AbortController();
    const waiting = waitForCollector(`http://127.0.0.1:${closed}`, {
      timeoutMs: 10_000,
      intervalMs: 5000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect(await waiting).toBe(false);
  });
});

describe('the simulated parts', () => {
  it('seeded random streams repeat for a seed and differ across seeds and forks', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(seededRandom(43).next()).not.toBe(xs[0]);
    expect(seededRandom(42).fork('x').next()).not.toBe(seededRandom(42).fork('y').next());
    expect(seededRandom(42).fork('x').next()).toBe(seededRandom(42).fork('x').next());
    const r = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
    }
    expect(new Set(Array.from({ length: 100 }, () => r.pick(['a', 'b', 'c'])))).toEqual(
      new Set(['a', 'b', 'c']),
    );
    expect(fieldOf(() => r.pick([]))).toBe('items');
    expect(fieldOf(() => seededRandom(-1))).toBe('seed');
    expect(fieldOf(() => seededRandom(0.5))).toBe('seed');
    expect(seededRandom(2 ** 40).next()).not.toBe(seededRandom(2 ** 40 + 1).next());
  });

  it('the simulated clock only moves forward, by what it is told', () => {
    const clock = new SimulatedClock();
    expect(clock.now()).toBe(0);
    clock.advance(25);
    clock.advance(0);
    expect(clock.now()).toBe(25);
    expect(fieldOf(() => clock.advance(-1))).toBe('ms');
    expect(fieldOf(() => clock.advance(Number.NaN))).toBe('ms');
  });

  const request = (signal?: AbortSignal): SimulatedRequest => ({
    model: 'gpt-4o',
    system: 'S'.repeat(4000),
    prompt: 'P'.repeat(400),
    outputTokens: [10, 20],
    ...(signal && { signal }),
  });

  it('answers in the OpenAI shape, caching the system prompt from the second call', async () => {
    const clock = new SimulatedClock();
    const provider = new SimulatedProvider({
      name: 'simulated.openai',
      style: 'openai',
      random: seededRandom(1),
      clock,
      latencyMs: [1, 2],
    });
    const first = await provider.chat(request());
    const second = await provider.chat(request());
    expect(first).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      usage: { prompt_tokens: 1100, prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(second).toMatchObject({
      usage: { prompt_tokens: 1100, prompt_tokens_details: { cached_tokens: 1000 } },
    });
    expect(responseText(first).split(' ')).toHaveLength(12);
    expect(provider.calls).toBe(2);
    expect(clock.now()).toBeGreaterThanOrEqual(2);
  });

  it('answers in the Anthropic shape, writing then reading the prompt cache', async () => {
    const provider = new SimulatedProvider({
      name: 'simulated.anthropic',
      style: 'anthropic',
      random: seededRandom(1),
      clock: new SimulatedClock(),
      latencyMs: [0, 0],
    });
    const first = await provider.chat({ ...request(), model: 'some-new-model' });
    const second = await provider.chat(request());
    expect(first).toMatchObject({
      type: 'message',
      model: 'some-new-model',
      usage: { input_tokens: 100, cache_creation_input_tokens: 1000, cache_read_input_tokens: 0 },
    });
    expect(second).toMatchObject({
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 1000 },
    });
    expect(responseText(second)).toMatch(/\w/);
  });

  it('fails with queued faults shaped like the real SDK errors, and a stall ends only on abort', async () => {
    const provider = new SimulatedProvider({
      name: 'simulated.openai',
      style: 'openai',
      random: seededRandom(3),
      clock: new SimulatedClock(),
      latencyMs: [0, 1],
    });
    provider.failNext({ kind: 'rate_limit', retryAfterMs: 1500 });
    provider.failNext({ kind: 'unavailable' });
    provider.failNext({ kind: 'stall' });
    expect(provider.pendingFaults).toBe(3);
    const limited = (await provider.chat(request()).catch((e: unknown) => e)) as SimulatedApiError;
    expect(SimulatedApiError.isInstance(limited)).toBe(true);
    expect(limited).toMatchObject({
      status: 429,
      provider: 'simulated.openai',
      headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
      error: { type: 'rate_limit_error' },
    });
    expect(limited.message).toContain('simulated');
    await expect(provider.chat(request())).rejects.toMatchObject({ status: 503 });
    const controller = new AbortController();
    const stalled = provider.chat(request(controller.signal));
    setTimeout(() => controller.abort(new TurnTimeoutError(150)), 20);
    await expect(stalled).rejects.toBeInstanceOf(TurnTimeoutError);
    await expect(provider.chat(request(AbortSignal.abort(new Error('gone'))))).rejects.toThrow('gone');
    provider.failNext({ kind: 'stall' });
    await expect(provider.chat(request(AbortSignal.abort(new Error('already'))))).rejects.toThrow('already');
    expect(provider.pendingFaults).toBe(0);
  });

  it('refuses bad provider options by name', () => {
    const base = {
      name: 'p',
      style: 'openai' as const,
      random: seededRandom(1),
      clock: new SimulatedClock(),
    };
    expect(fieldOf(() => new SimulatedProvider({ ...base, name: '' }))).toBe('name');
    expect(fieldOf(() => new SimulatedProvider({ ...base, style: 'gemini' as never }))).toBe('style');
    expect(fieldOf(() => new SimulatedProvider({ ...base, latencyMs: [5, 1] }))).toBe('latencyMs');
    expect(estimateTokens('')).toBe(1);
    expect(estimateTokens('abcdefgh')).toBe(2);
  });

  it('simulated tools take simulated time; the guardrail catches a leaked key without repeating it', async () => {
    const clock = new SimulatedClock();
    const tools = new SimulatedTools({ random: seededRandom(4), clock });
    const signal = new AbortController().signal;
    const sources = await tools.webSearch('retries', signal);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    expect(sources[0]?.url).toMatch(/^https:\/\/[^ ]+-1$/);
    const clean = await tools.fetchPage(sources[0] as never, signal);
    const leaky = await tools.fetchPage(sources[1] as never, signal, true);
    const ctx = { role: 'researcher', tool: 'fetch_page' };
    expect(noSecretsGuardrail.checkPost?.(clean.text, ctx)).toEqual({ allowed: true });
    const refused = noSecretsGuardrail.checkPost?.(leaky, ctx) as { allowed: boolean; reason: string };
    expect(refused.allowed).toBe(false);
    expect(refused.reason).not.toMatch(/sk-/);
    expect(noSecretsGuardrail.checkPost?.(undefined, ctx)).toEqual({ allowed: true });
    expect(noSecretsGuardrail.checkPost?.(`key AKIA${'A'.repeat(16)}`, ctx)).toMatchObject({
      allowed: false,
    });
    expect(await tools.writeFile('a.md', 'hello', signal)).toEqual({ path: 'a.md', bytes: 5 });
    expect(tools.files.get('a.md')).toBe('hello');
    const before = clock.now();
    const checked = await tools.checkLinks(['x', 'y'], signal);
    expect(checked.checked).toBe(2);
    expect(clock.now() - before).toBeGreaterThanOrEqual(330);
    await expect(tools.writeFile('b.md', 'x', AbortSignal.abort(new Error('stop')))).rejects.toThrow();
  });

  it('the narrator prints money, details and attempts the way the demo reads', () => {
    expect(usd(0.0123456)).toBe('$0.0123');
    expect(usd(12.345)).toBe('$12.35');
    expect(tidyDetail('waited 38.07016900740564 ms (Retry-After 250 ms)')).toBe(
      'waited 38 ms (Retry-After 250 ms)',
    );
    const out = capture();
    const narrator = new Narrator(out.stream, createStyle(false));
    narrator.attempt(
      {
        attempt: 1,
        outcome: 'failed',
        provider: 'p',
        model: 'm',
        errorType: 'rate_limit',
        message: 'slow down',
        steps: [
          { step: 'retry_with_backoff', status: 'done', detail: 'waited 1.6 ms' },
          { step: 'switch_provider', status: 'skipped', detail: 'no other provider' },
        ],
        skippedProviders: ['q'],
      },
      false,
    );
    narrator.attempt({ attempt: 2, outcome: 'succeeded', steps: [] }, true, '1 in');
    expect(out.text.split('\n').map((l) => l.trim())).toEqual([
      '├─ attempt 1  p/m  ✗ rate_limit  "slow down"  (q skipped: circuit open)',
      '│    → retry_with_backoff (waited 2 ms), switch_provider skipped (no other provider)',
      '└─ attempt 2  ?/?  ✓  1 in',
      '',
    ]);
  });
});
