// Per-turn time and process memory as ONE session grows to 10^6 turns. Must stay flat: a tracker that
// re-sums its history every turn, or any per-turn list, shows here as a rising time or heap.
//
//   node --expose-gc --import tsx scaling.ts             (from bench/; SCALING_MAX_TURNS lowers the top)
//
// Runs twice in one process: with no SDK registered, then with the SDK registered globally (batch span
// processor, in-memory exporter drained as it goes, periodic metric reader). Each run is preceded by a
// warm-up so the JIT is warm before the first checkpoint.
//
// On a shared machine the absolute time per turn moves with other processes' load, which can hide or fake a
// trend over a 10^6-turn run. So batches of the long session are followed by one batch of a young session
// (replaced every YOUNG_TURNS turns): every batch up to 10^4 turns, every 10th after. "vs young session" is
// the median ratio of the two at the same moment, and must stay at 1.0× if a turn's cost does not grow with
// the session's length.
import type { Session } from '@agentrace/core';
import { trace } from '@opentelemetry/api';
import {
  canGc,
  environment,
  formatPerTurn,
  memoryMiB,
  ratio,
  TURNS_PER_YIELD,
  table,
  yieldToLoop,
} from './report.js';
import { type InstalledSdk, installSdk } from './sdk.js';
import { agentraceTurn, newAgent } from './workload.js';

const MAX_TURNS = Number(process.env.SCALING_MAX_TURNS ?? 1_000_000);
const CHECKPOINTS = [1_000, 10_000, 100_000, 1_000_000].filter((n) => n <= MAX_TURNS);
const WARMUP_TURNS = 20_000;
const WINDOW_TURNS = 1_000;
/** Every how many batches of the long session a young-session batch follows. */
const referenceEvery = (sessionTurns: number) => (sessionTurns <= 10_000 ? 1 : 10);
const YOUNG_TURNS = 1_000;
// A full GC shrinks the young generation and the next few thousand turns run slower while it grows back.
// These turns run in a separate session after every memory reading, so the measured session's figures show
// the session, not the reading.
const REWARM_TURNS = 5_000;

interface Checkpoint {
  turns: number;
  segmentMean: number;
  segmentMedian: number;
  lastWindowMean: number;
  cpuPerTurn: number;
  vsYoung: number;
  rss: number;
  heapUsed: number;
  load: number;
}

/** Runs one batch; returns its wall time per turn (ms). */
async function batch(session: Session, turns: number, sdk: InstalledSdk | undefined): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < turns; i++) await agentraceTurn(session);
  await yieldToLoop();
  const perTurn = (performance.now() - start) / turns;
  // Outside the timed window: the in-memory exporters would otherwise hold every span ever made.
  sdk?.drain();
  return perTurn;
}

/** A session replaced every YOUNG_TURNS turns: the reference the long session is compared with. */
class YoungSession {
  #session: Session | undefined;
  /** Sessions opened and turns run so far (for the span count). */
  sessions = 0;
  turns = 0;
  readonly #open: () => Session;

  constructor(open: () => Session) {
    this.#open = open;
  }

  async batch(sdk: InstalledSdk | undefined): Promise<number> {
    if (!this.#session || this.#session.turnsStarted >= YOUNG_TURNS) {
      this.close();
      this.#session = this.#open();
      this.sessions += 1;
    }
    this.turns += TURNS_PER_YIELD;
    return batch(this.#session, TURNS_PER_YIELD, sdk);
  }

  close(): void {
    this.#session?.complete();
    this.#session = undefined;
  }
}

interface Segment {
  perTurn: Float64Array;
  /** Long-session batch time over the young-session batch right after it, one per reference pair. */
  vsYoung: number[];
  cpuMicros: number;
}

/** Runs `turns` turns of `session` in batches, interleaving reference batches of `young`. */
async function segment(
  session: Session,
  turns: number,
  young: YoungSession,
  sdk: InstalledSdk | undefined,
): Promise<Segment> {
  const perTurn = new Float64Array(Math.ceil(turns / TURNS_PER_YIELD));
  const vsYoung: number[] = [];
  const every = referenceEvery(session.turnsStarted + turns);
  let cpuMicros = 0;
  for (let b = 0; b < perTurn.length; b++) {
    const n = Math.min(TURNS_PER_YIELD, turns - b * TURNS_PER_YIELD);
    const cpu = process.cpuUsage();
    perTurn[b] = await batch(session, n, sdk);
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    if (b % every === every - 1) vsYoung.push(perTurn[b]! / (await young.batch(sdk)));
  }
  return { perTurn, vsYoung, cpuMicros };
}

function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

async function rewarm(session: Session, turns: number, sdk: InstalledSdk | undefined): Promise<void> {
  for (let done = 0; done < turns; done += TURNS_PER_YIELD) await batch(session, TURNS_PER_YIELD, sdk);
}

async function measure(label: string, sdk: InstalledSdk | undefined): Promise<string> {
  const agent = newAgent();
  const warm = agent.open();
  await rewarm(warm, WARMUP_TURNS, sdk);
  const young = new YoungSession(() => agent.open());

  const session = agent.open();
  if (Boolean(trace.getSpan(session.otelContext)?.isRecording()) !== Boolean(sdk))
    throw new Error(`${label}: the session span's recording state does not match the SDK setup`);
  const base = memoryMiB();
  await rewarm(warm, REWARM_TURNS, sdk);
  const rows: Checkpoint[] = [];
  let done = 0;
  const started = performance.now();
  for (const target of CHECKPOINTS) {
    const seg = await segment(session, target - done, young, sdk);
    const turns = target - done;
    done = target;
    const windowBatches = Math.max(1, WINDOW_TURNS / TURNS_PER_YIELD);
    const load = (await import('node:os')).loadavg()[0] ?? Number.NaN;
    const mem = memoryMiB();
    if (target !== CHECKPOINTS.at(-1)) await rewarm(warm, REWARM_TURNS, sdk);
    rows.push({
      turns: target,
      segmentMean: mean(seg.perTurn),
      segmentMedian: median(seg.perTurn),
      lastWindowMean: mean(seg.perTurn.subarray(Math.max(0, seg.perTurn.length - windowBatches))),
      cpuPerTurn: seg.cpuMicros / turns / 1000,
      vsYoung: median(seg.vsYoung),
      load,
      ...mem,
    });
  }
  const wallSeconds = (performance.now() - started) / 1000;
  if (session.tracker.turnCount !== done)
    throw new Error(`${label}: tracker counted ${session.tracker.turnCount} turns, ran ${done}`);
  session.complete();
  young.close();
  const warmTurns = warm.tracker.turnCount;
  warm.complete();

  let spans = '';
  if (sdk) {
    await sdk.flush();
    // One span per turn plus one invoke_agent span per session (measured, warm-up, young ones).
    const ended = done + warmTurns + young.turns + 2 + young.sessions;
    spans =
      `; spans exported ${sdk.exportedSpans().toLocaleString('en-US')} of ${ended.toLocaleString('en-US')} ended ` +
      `(young-session reference turns: ${young.turns.toLocaleString('en-US')})`;
  }
  const lines = rows.map((r, i) => [
    r.turns.toLocaleString('en-US'),
    `${(i === 0 ? 1 : rows[i - 1]!.turns + 1).toLocaleString('en-US')} – ${r.turns.toLocaleString('en-US')}`,
    formatPerTurn(r.segmentMean),
    formatPerTurn(r.segmentMedian),
    formatPerTurn(r.lastWindowMean),
    formatPerTurn(r.cpuPerTurn),
    ratio(r.vsYoung, 1),
    r.rss.toFixed(1),
    r.heapUsed.toFixed(1),
    (r.heapUsed - base.heapUsed).toFixed(1),
    r.load.toFixed(2),
  ]);
  return [
    `## ${label}`,
    '',
    table(
      [
        'turns so far',
        'segment (turns)',
        'mean / turn',
        'median / turn',
        `last ${WINDOW_TURNS.toLocaleString('en-US')} turns`,
        'CPU / turn',
        'vs young session',
        'rss MiB',
        'heapUsed MiB',
        'heap Δ MiB',
        'load (1 min)',
      ],
      lines,
    ),
    '',
    `${done.toLocaleString('en-US')} turns in ${wallSeconds.toFixed(1)} s; at start: rss ${base.rss.toFixed(1)} MiB, ` +
      `heapUsed ${base.heapUsed.toFixed(1)} MiB${spans}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  console.log(`# Scaling: one session, up to ${MAX_TURNS.toLocaleString('en-US')} turns\n\n${environment()}`);
  console.log(
    `batches of ${TURNS_PER_YIELD} turns timed with performance.now(); "vs young session": median ratio to a ` +
      `batch of a session younger than ${YOUNG_TURNS.toLocaleString('en-US')} turns run right after (every batch ` +
      `up to 10,000 turns, every 10th after); memory after a full GC at each checkpoint` +
      `${canGc ? '' : ' (NOT collected: run with --expose-gc)'}\n`,
  );
  console.log(await measure('No SDK registered (no-op API)', undefined));
  const sdk = installSdk();
  console.log(
    await measure('SDK registered (BatchSpanProcessor + in-memory exporter, periodic metric reader)', sdk),
  );
  await sdk.shutdown();
}

await main();
