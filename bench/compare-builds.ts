// Builds of @agentrace/core side by side in ONE process, interleaved batch by batch, with the hand-written span
// (d) as the yardstick. On a shared machine, load changes between two separate runs easily exceed the
// difference a patch makes; interleaving cancels them.
//
//   node --import tsx compare-builds.ts <baseline dist/index.js> <candidate dist/index.js>...
//
// e.g. copy packages/core/dist to /tmp/core-before, apply a patch, rebuild, then
//   node --import tsx compare-builds.ts /tmp/core-before/index.js ../packages/core/dist/index.js
// COMPARE_BATCH (turns per batch, default 2000) and COMPARE_ROUNDS (default 20) tune the run.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Core from '@agentrace/core';
import { context, type Meter, trace } from '@opentelemetry/api';
import { environment, ratio, TURNS_PER_YIELD, table, yieldToLoop } from './report.js';
import { installSdk } from './sdk.js';
import { callModel, HandWritten, MODEL, PROVIDER, prices, ROLE, TURN_OPTIONS } from './workload.js';

const paths = process.argv.slice(2);
if (paths.length < 2) throw new Error('usage: compare-builds.ts <baseline index.js> <candidate index.js>...');
const BATCH = Number(process.env.COMPARE_BATCH ?? 2000);
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 20);

const builds: Array<[string, typeof Core]> = [];
for (const path of paths) {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  builds.push([path, (await import(url)) as typeof Core]);
}

/** Process CPU time per turn (µs) of `turns` turns. */
async function cpuPerTurn(turn: () => Promise<unknown>, turns: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 1; i <= turns; i++) {
    await turn();
    if (i % TURNS_PER_YIELD === 0) await yieldToLoop();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / turns;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function compare(drain: () => void, meter?: Meter): Promise<number[]> {
  const options = {
    role: ROLE,
    phase: 'bench',
    model: MODEL,
    provider: PROVIDER,
    pricing: prices,
    maxIterations: Number.MAX_SAFE_INTEGER,
  };
  const tracer = trace.getTracer('bench-hand-written');
  const parent = tracer.startSpan(`invoke_agent ${ROLE}`);
  const parentContext = trace.setSpan(context.active(), parent);
  const hand = new HandWritten(tracer);
  const floor = new HandWritten(tracer, meter, 'floor');
  const sessions = builds.map(([, core]) => new core.AgentSession(options).open());
  const variants: Array<() => Promise<unknown>> = [
    ...sessions.map((session) => () => session.runTurn(callModel, TURN_OPTIONS)),
    () => context.with(parentContext, () => floor.turn()),
    () => context.with(parentContext, () => hand.turn()),
  ];
  const figures = variants.map((): number[] => []);
  for (const turn of variants) await cpuPerTurn(turn, 5 * BATCH);
  for (let r = 0; r < ROUNDS; r++) {
    const order = variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      figures[i]!.push(await cpuPerTurn(variants[i]!, BATCH));
      drain();
    }
  }
  for (const session of sessions) session.complete();
  parent.end();
  return figures.map(median);
}

const noSdk = await compare(() => undefined);
const sdk = installSdk();
const withSdk = await compare(sdk.drain, sdk.meterProvider.getMeter('bench-hand-written'));
await sdk.shutdown();

console.log(`# Builds compared: median process CPU time per turn\n\n${environment()}`);
console.log(`${ROUNDS} interleaved rounds of ${BATCH} turns per build (order reversed every other round)\n`);
const names = [
  ...builds.map(([path], i) => (i === 0 ? `baseline ${path}` : path)),
  '(f) hand-written span + the 3 histogram points (no SDK: span only)',
  '(d) hand-written span',
];
const cell = (figures: number[], i: number) => {
  const v = figures[i]!;
  const d = figures.at(-1)!;
  return [`${v.toFixed(2)} µs`, i < builds.length ? ratio(v, figures[0]!) : '', ratio(v, d)];
};
console.log(
  table(
    ['build', 'no SDK', 'vs baseline', '/ d', 'SDK registered', 'vs baseline', '/ d'],
    names.map((name, i) => [name, ...cell(noSdk, i), ...cell(withSdk, i)]),
  ),
);
