// Time added to each `chat.completions.create` call by zero-code instrumentation, in one run: the real `openai`
// client against a loopback endpoint (openai-sink.ts, a child process), four ways:
//   (a) no instrumentation            (b) agentrace's OpenAIInstrumentation
//   (c) the official @opentelemetry/instrumentation-openai            (d) both
//
//   node --expose-gc --import tsx zero-code.ts        (from bench/; BENCH_TIME_MS, BENCH_ROUNDS as the others)
//
// The SDK is registered in every variant (BatchSpanProcessor and periodic metric reader into memory), so the
// difference is the instrumentation's own work: wrapping the call, the span, its attributes, metrics (and, for
// agentrace, reading usage and pricing it). Each variant has its own copy of the `openai` module (the CommonJS build,
// loaded afresh), patched by that variant's instrumentations only, so the four run interleaved in one process.
// `openai` is 6.x here: the official instrumentation supports `>=4.19 <7`, agentrace's `>=4 <8`.
//
// Two transports, each with all four variants: the loopback HTTP endpoint (what the issue asks for; the client's
// own HTTP work, about 1 ms of CPU a call, makes its figures noisy on a shared machine), and the same completion
// answered by a `fetch` given to the client (no socket, no undici), where the instrumentation's share is measured
// against a much smaller, steadier baseline.

import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAIInstrumentation as AgentraceOpenAI } from '@agentrace/instrumentation';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation as OfficialOpenAI } from '@opentelemetry/instrumentation-openai';
import { Bench, type FnReturnedObject } from 'tinybench';
import { COMPLETION } from './openai-completion.js';
import { environment, fullGc, ratio, table } from './report.js';
import { installSdk } from './sdk.js';

// Many short rounds rather than a few long ones: on a shared machine the load drifts, and a variant is compared
// with (a) of the same round only.
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const WARMUP_MS = Math.min(500, TIME_MS / 3);
/** Calls per tinybench sample (sequential, on one keep-alive connection). */
const CALLS_PER_SAMPLE = 10;

const require = createRequire(import.meta.url);
const OPENAI_DIR = `${dirname(require.resolve('openai'))}${sep}`;
const OPENAI_VERSION = (require('openai/version') as { VERSION: string }).VERSION;

type OpenAIModule = { OpenAI: new (opts: object) => Client; default?: unknown };
interface Client {
  chat: { completions: { create(params: object): Promise<{ id: string; usage?: object }> } };
}

/** A copy of the `openai` CommonJS build no other variant shares: its classes, so its prototypes, are its own. */
function freshOpenAI(): OpenAIModule {
  for (const key of Object.keys(require.cache)) if (key.startsWith(OPENAI_DIR)) delete require.cache[key];
  return require('openai') as OpenAIModule;
}

/** Applies an instrumentation's module patch to one copy, as its require hook would on load. */
function patch(instrumentation: InstrumentationBase, exports: OpenAIModule): void {
  for (const def of instrumentation.getModuleDefinitions()) def.patch?.(exports, OPENAI_VERSION);
}

const KEYS = ['a', 'b', 'c', 'd'] as const;
type Key = (typeof KEYS)[number];
const LABELS: Record<Key, string> = {
  a: '(a) no instrumentation',
  b: "(b) agentrace's OpenAIInstrumentation",
  c: '(c) @opentelemetry/instrumentation-openai',
  d: '(d) both',
};

interface Tally {
  cpuMicros: number;
  calls: number;
  measuring: boolean;
  /** Per round: mean wall time per call (ms). */
  roundWall: number[];
  /** Per round: CPU time per call (ms). */
  roundCpu: number[];
}

/** Runs the four variants of one transport ROUNDS times and prints what each adds to (a). */
async function measure(
  name: string,
  clients: Record<Key, Client>,
  params: object,
  drain: () => void,
): Promise<void> {
  const tallies = new Map<Key, Tally>(
    KEYS.map((k) => [k, { cpuMicros: 0, calls: 0, measuring: false, roundWall: [], roundCpu: [] }]),
  );
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  for (let r = 0; r < ROUNDS; r++) {
    const bench = new Bench({
      name: `${name}, round ${r + 1}`,
      time: TIME_MS,
      warmupTime: WARMUP_MS,
      throws: true,
      retainSamples: true,
      setup: () => fullGc(),
    });
    // Rotated each round so no variant always runs first (JIT state, load changes on a shared machine).
    const order = [...KEYS.slice(r % KEYS.length), ...KEYS.slice(0, r % KEYS.length)];
    for (const k of order) {
      const tally = tallies.get(k)!;
      const client = clients[k];
      bench.add(
        k,
        async (): Promise<FnReturnedObject> => {
          const cpuStart = process.cpuUsage();
          const start = performance.now();
          for (let i = 0; i < CALLS_PER_SAMPLE; i++) await client.chat.completions.create(params);
          const elapsed = performance.now() - start;
          if (tally.measuring) {
            const used = process.cpuUsage(cpuStart);
            tally.cpuMicros += used.user + used.system;
            tally.calls += CALLS_PER_SAMPLE;
          }
          return { overriddenDuration: elapsed / CALLS_PER_SAMPLE, overriddenIterationCost: elapsed };
        },
        {
          beforeAll: (mode) => {
            tally.measuring = mode === 'run';
          },
          afterEach: drain,
        },
      );
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
      const tally = tallies.get(task.name as Key)!;
      tally.roundWall.push(result.latency.mean);
      tally.roundCpu.push(tally.cpuMicros / tally.calls / 1000);
      tally.cpuMicros = 0;
      tally.calls = 0;
    }
  }
  const median = (xs: readonly number[]) => {
    const sorted = [...xs].sort((x, y) => x - y);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const t = (k: Key) => tallies.get(k)!;
  /** Median over rounds of what `k` adds to (a) in the same round. */
  const added = (k: Key, m: 'roundWall' | 'roundCpu') => median(t(k)[m].map((v, i) => v - t('a')[m][i]!));
  const us = (ms: number) => `${ms >= 0 && ms !== 0 ? '+' : ''}${(ms * 1000).toFixed(1)} µs`;
  const plain = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

  console.log(`\n### ${name} (load ${loadBefore} → ${os.loadavg()[0]!.toFixed(2)})\n`);
  console.log(
    table(
      [
        'variant',
        'wall per call',
        'added wall',
        'CPU per call',
        'added CPU',
        'added CPU vs (c)',
        'added CPU, each round',
      ],
      KEYS.map((k) => [
        LABELS[k],
        plain(median(t(k).roundWall)),
        k === 'a' ? '—' : us(added(k, 'roundWall')),
        plain(median(t(k).roundCpu)),
        k === 'a' ? '—' : us(added(k, 'roundCpu')),
        k === 'a' ? '—' : ratio(added(k, 'roundCpu'), added('c', 'roundCpu')),
        k === 'a'
          ? '—'
          : t(k)
              .roundCpu.map((v, i) => (1000 * (v - t('a').roundCpu[i]!)).toFixed(0))
              .join(' '),
      ]),
    ),
  );
  console.log(
    `\n${name}: medians over rounds of each round's difference to (a). agentrace adds ${ratio(added('b', 'roundCpu'), added('c', 'roundCpu'))} ` +
      `the CPU and ${ratio(added('b', 'roundWall'), added('c', 'roundWall'))} the wall time the official instrumentation adds per call.`,
  );
}

async function main(): Promise<void> {
  const sink = fork(fileURLToPath(new URL('./openai-sink.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    sink.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const baseURL = `http://127.0.0.1:${port}/v1`;

  const sdk = installSdk();
  const agentrace = [new AgentraceOpenAI({ enabled: false }), new AgentraceOpenAI({ enabled: false })];
  const official = [new OfficialOpenAI({ enabled: false }), new OfficialOpenAI({ enabled: false })];
  for (const i of [...agentrace, ...official]) {
    i.setTracerProvider(sdk.tracerProvider);
    i.setMeterProvider(sdk.meterProvider);
  }
  const modules: Record<Key, OpenAIModule> = {
    a: freshOpenAI(),
    b: freshOpenAI(),
    c: freshOpenAI(),
    d: freshOpenAI(),
  };
  patch(agentrace[0]!, modules.b);
  patch(official[0]!, modules.c);
  // Both: agentrace inside, the official wrapper outside. The other order (official inside, as when its hook is
  // registered first) makes the call fail on this branch ("Body has already been read"): see RESULTS.md.
  patch(agentrace[1]!, modules.d);
  patch(official[1]!, modules.d);
  // The official wrapper does nothing until enabled; every module is loaded by now, so enabling adds a require
  // hook that no later load meets.
  for (const i of official) i.enable();

  const params = {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Describe the photo.' }],
    max_tokens: 300,
  };
  const inProcessFetch = async () =>
    new Response(COMPLETION, { headers: { 'content-type': 'application/json', 'x-request-id': 'req_sim' } });
  const clientsFor = (opts: object) =>
    Object.fromEntries(
      KEYS.map((k) => [k, new modules[k].OpenAI({ apiKey: 'simulated', maxRetries: 0, ...opts })]),
    ) as Record<Key, Client>;
  const transports: Array<[string, Record<Key, Client>]> = [
    ['loopback HTTP (openai-sink.ts)', clientsFor({ baseURL })],
    ['in-process fetch', clientsFor({ baseURL: 'http://simulated.invalid/v1', fetch: inProcessFetch })],
  ];

  // Each variant must do what it claims: spans from the instrumented ones, none from (a).
  for (const [name, clients] of transports) {
    for (const k of KEYS) {
      sdk.drain();
      const before = sdk.exportedSpans();
      try {
        await clients[k].chat.completions.create(params);
      } catch (err) {
        throw new Error(`${name}, ${LABELS[k]}: the call failed`, { cause: err });
      }
      await sdk.flush();
      const spans = sdk.exportedSpans() - before;
      const expected = { a: 0, b: 1, c: 1, d: 2 }[k];
      if (spans !== expected)
        throw new Error(`${LABELS[k]} exported ${spans} spans a call, expected ${expected}`);
    }
  }

  console.log(`\n${environment()}`);
  console.log(
    `openai ${OPENAI_VERSION}, ${ROUNDS} rounds × ${TIME_MS} ms per variant, ${CALLS_PER_SAMPLE} calls per sample`,
  );
  for (const [name, clients] of transports) await measure(name, clients, params, sdk.drain);
  await sdk.shutdown();
  sink.disconnect();
}

await main();
