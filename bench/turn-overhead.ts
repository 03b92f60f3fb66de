// Per-turn cost of agentrace against a bare call and a hand-written span, in one run. Ratios, not assertions.
//
//   node --expose-gc --import tsx turn-overhead.ts        (from bench/; BENCH_TIME_MS sets the time per task)
//
// Phase 1 runs with nothing registered (the OpenTelemetry API is a no-op); phase 2 registers the SDK globally,
// as an application would, and measures the same turn through agentrace, a hand-written span, and a
// hand-written span plus the same metric points. Each tinybench sample is TURNS_PER_YIELD turns run back to
// back plus one trip through the event loop, divided by the number of turns.

import os from 'node:os';
import { context, type Span, trace } from '@opentelemetry/api';
import { Bench, type FnReturnedObject } from 'tinybench';
import {
  canGc,
  environment,
  formatPerTurn,
  fullGc,
  ratio,
  TURNS_PER_YIELD,
  table,
  yieldToLoop,
} from './report.js';
import { installSdk } from './sdk.js';
import { agentraceTurn, callModel, HandWritten, newAgent, ROLE } from './workload.js';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = Math.min(500, TIME_MS / 3);

/** Pooled figures of one variant over every round. */
interface Variant {
  key: Key;
  label: string;
  mean: number;
  p50: number;
  p99: number;
  roundMeans: number[];
  samples: number;
  /** CPU time per turn (ms). */
  cpu: number;
}

const KEYS = ['a', 'b', "a'", 'c', 'd', 'e', 'f'] as const;
type Key = (typeof KEYS)[number];

const LABELS: Record<Key, string> = {
  a: '(a) bare async call of the work function',
  b: '(b) `session.runTurn`, no SDK registered (no-op API)',
  "a'": "(a') bare call, SDK registered (AsyncLocalStorage promise hooks on)",
  c: '(c) `session.runTurn`, SDK registered',
  d: '(d) hand-written: one active span, same attributes',
  e: '(e) hand-written: (d) + the same 4 metric points, attributes built per point',
  f: '(f) hand-written: (d) + only the 3 histogram points the conventions require, attributes built once',
};

/** CPU time (µs, user + system, every thread of the process) and turns of a variant's timed iterations. */
interface CpuTally {
  micros: number;
  turns: number;
  measuring: boolean;
}

/**
 * A tinybench task function that runs `TURNS_PER_YIELD` turns and reports the wall time per turn. It also
 * tallies the process's CPU time outside the timed window: on a shared machine, another process taking a
 * core inflates wall time but not this process's CPU time.
 */
function perTurn(turn: () => Promise<unknown>, cpu: CpuTally) {
  return async (): Promise<FnReturnedObject> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < TURNS_PER_YIELD; i++) await turn();
    await yieldToLoop();
    const elapsed = performance.now() - start;
    if (cpu.measuring) {
      const used = process.cpuUsage(cpuStart);
      cpu.micros += used.user + used.system;
      cpu.turns += TURNS_PER_YIELD;
    }
    return { overriddenDuration: elapsed / TURNS_PER_YIELD, overriddenIterationCost: elapsed };
  };
}

/**
 * Runs the tasks ROUNDS times, reversing their order every other round so that a load change on a shared
 * machine, or the JIT's state, does not favour whichever task runs first. Samples are pooled over rounds.
 */
async function rounds(
  name: string,
  tasks: ReadonlyArray<readonly [Key, () => Promise<unknown>]>,
  afterEach?: () => void,
): Promise<Variant[]> {
  const pooled = new Map<Key, { samples: number[]; roundMeans: number[]; cpu: CpuTally }>();
  for (const [key] of tasks)
    pooled.set(key, { samples: [], roundMeans: [], cpu: { micros: 0, turns: 0, measuring: false } });
  for (let r = 0; r < ROUNDS; r++) {
    const bench = new Bench({
      name: `${name}, round ${r + 1}`,
      time: TIME_MS,
      warmupTime: WARMUP_MS,
      throws: true,
      retainSamples: true,
      // A full collection before each task, so one task's garbage is not collected on the next one's clock.
      setup: () => fullGc(),
    });
    const order = r % 2 === 0 ? tasks : [...tasks].reverse();
    for (const [key, turn] of order) {
      const cpu = pooled.get(key)!.cpu;
      bench.add(key, perTurn(turn, cpu), {
        beforeAll: (mode) => {
          cpu.measuring = mode === 'run';
        },
        ...(afterEach && { afterEach }),
      });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
      const into = pooled.get(task.name as Key)!;
      for (const sample of result.latency.samples ?? []) into.samples.push(sample);
      into.roundMeans.push(result.latency.mean);
    }
  }
  return tasks.map(([key]) => {
    const { samples, roundMeans, cpu } = pooled.get(key)!;
    const sorted = Float64Array.from(samples).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      key,
      label: LABELS[key],
      mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
      p50: at(0.5),
      p99: at(0.99),
      roundMeans,
      samples: sorted.length,
      cpu: cpu.micros / cpu.turns / 1000,
    };
  });
}

/** c / d round by round (the pairs ran back to back, so load changes between rounds cancel out). */
function perRound(x: Variant, y: Variant): string {
  return x.roundMeans.map((m, i) => ratio(m, y.roundMeans[i] ?? Number.NaN)).join(', ');
}

async function main(): Promise<void> {
  const signal = new AbortController().signal;
  const agent = newAgent();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadBefore = load();

  // Phase 1: nothing registered.
  const noSdkSession = agent.open();
  if (trace.getSpan(noSdkSession.otelContext)?.isRecording())
    throw new Error('phase 1 expects no SDK, yet the session span records');
  const phase1 = await rounds('no SDK', [
    ['a', () => callModel(signal)],
    ['b', () => agentraceTurn(noSdkSession)],
  ]);
  noSdkSession.complete();

  // Phase 2: the SDK, registered globally.
  const sdk = installSdk();
  const session = agent.open();
  if (!trace.getSpan(session.otelContext)?.isRecording())
    throw new Error('phase 2 expects the SDK, yet the session span does not record (two API copies?)');
  const tracer = trace.getTracer('bench-hand-written');
  // The hand-written turns get a parent span too, as agentrace's turns have the invoke_agent span.
  const parent: Span = tracer.startSpan(`invoke_agent ${ROLE}`);
  const parentContext = trace.setSpan(context.active(), parent);
  const spanOnly = new HandWritten(tracer);
  const handMeter = sdk.meterProvider.getMeter('bench-hand-written');
  const withMetrics = new HandWritten(tracer, handMeter, 'naive');
  const floor = new HandWritten(tracer, handMeter, 'floor');
  const phase2 = await rounds(
    'SDK',
    [
      ["a'", () => callModel(signal)],
      ['c', () => agentraceTurn(session)],
      ['d', () => context.with(parentContext, () => spanOnly.turn())],
      ['e', () => context.with(parentContext, () => withMetrics.turn())],
      ['f', () => context.with(parentContext, () => floor.turn())],
    ],
    sdk.drain,
  );
  session.complete();
  parent.end();
  await sdk.flush();

  const results = [...phase1, ...phase2];
  const by = Object.fromEntries(results.map((v) => [v.key, v])) as Record<Key, Variant>;
  const { a, b, c, d, e, f } = by;
  const a2 = by["a'"];
  // Warm-up turns are not samples but they do make spans: count turns from the sessions and the exporter.
  const expectedSpans = session.tracker.turnCount + spanOnly.turns + withMetrics.turns + floor.turns + 2;
  const exported = sdk.exportedSpans();
  const metricExports = sdk.metricExports();
  await sdk.shutdown();

  console.log(`# Per-turn overhead\n\n${environment()}`);
  console.log(
    `tinybench ${ROUNDS} rounds × ${TIME_MS} ms per task (+${WARMUP_MS} ms warm-up), order reversed every other ` +
      `round; one sample = ${TURNS_PER_YIELD} turns + one event-loop turn, divided by ${TURNS_PER_YIELD}; ` +
      `load average before ${loadBefore}, after ${load()}\n`,
  );
  console.log(
    table(
      ['variant', 'mean / turn', 'p50', 'p99', 'round means', 'CPU / turn', 'samples', 'timed turns'],
      results.map((v) => [
        v.label,
        formatPerTurn(v.mean),
        formatPerTurn(v.p50),
        formatPerTurn(v.p99),
        v.roundMeans.map(formatPerTurn).join(', '),
        formatPerTurn(v.cpu),
        String(v.samples),
        (v.samples * TURNS_PER_YIELD).toLocaleString('en-US'),
      ]),
    ),
  );
  console.log(
    `\nspans exported: ${exported.toLocaleString('en-US')} of ${expectedSpans.toLocaleString('en-US')} ended ` +
      `(${expectedSpans - exported} dropped); metric collections exported: ${metricExports}\n`,
  );
  console.log(
    table(
      ['ratio', 'value', 'reading'],
      [
        ['c / d', ratio(c.mean, d.mean), `target ≤ 2.00×; by round: ${perRound(c, d)}`],
        ['c / d (medians)', ratio(c.p50, d.p50), 'the same on p50s'],
        ['c / d (CPU time)', ratio(c.cpu, d.cpu), 'the same on process CPU time (robust to other load)'],
        [
          '(c − a′) / (d − a′)',
          ratio(c.mean - a2.mean, d.mean - a2.mean),
          'overhead over the bare call only',
        ],
        [
          'f / d',
          ratio(f.mean, d.mean),
          "the floor: what the conventions' metric points alone add to a span",
        ],
        ['c / f', ratio(c.mean, f.mean), `agentrace against that floor; by round: ${perRound(c, f)}`],
        ['c / f (CPU time)', ratio(c.cpu, f.cpu), 'the same on process CPU time'],
        ['c / e', ratio(c.mean, e.mean), 'against hand-written span + metrics written inline'],
        ['b / a', ratio(b.mean, a.mean), 'agentrace with the no-op API vs a bare call'],
        ['b − a', formatPerTurn(b.mean - a.mean), 'agentrace bookkeeping per turn, no SDK'],
        ['c − b', formatPerTurn(c.mean - b.mean), 'what the SDK adds to a turn'],
        ['d − a′', formatPerTurn(d.mean - a2.mean), 'one hand-written span'],
        ['e − d', formatPerTurn(e.mean - d.mean), 'four metric points, attributes built per point'],
        ['f − d', formatPerTurn(f.mean - d.mean), 'three histogram points, attributes built once'],
        [
          'c − f',
          formatPerTurn(c.mean - f.mean),
          'agentrace beyond the floor (bookkeeping, cancellation, result)',
        ],
      ],
    ),
  );
  if (!canGc) console.log('\n(run with --expose-gc for a full collection between tasks)');
}

await main();
