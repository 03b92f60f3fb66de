// One soak process: telemetry on as a user sets it up (setupTelemetry, OTLP/HTTP protobuf to a healthy loopback
// collector the parent runs: the SDK's batch span processor behind agentrace's bounded one, a periodic metric
// reader), then either one session running `turns` turns, or sessions of ten turns each until `turns`.
// After warm-up it samples memory (after a full GC) at every window's end and times the window's batches against
// a young reference in the same moment, so a machine-load change cannot pass for a trend. Reports over IPC.
// Run by soak.ts with `--expose-gc --import tsx`.
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { AgentRegistry } from '@agentrace/core';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { newAgent, turn } from './workload.js';

/** What the parent asks for. */
export interface SoakStart {
  mode: 'one-session' | 'many-sessions';
  /** Turns of the measured run (warm-up excluded). */
  turns: number;
  warmupTurns: number;
  /** Windows the run is cut into; memory is sampled at each window's end. */
  windows: number;
  endpoint: string;
  /**
   * Capacity of the measured agent's worker registry (default: core's, 10,000). The registry keeps that many
   * ended workers by design, so the heap grows until it is full; the warm-up must fill it.
   */
  registryCapacity?: number;
}

/** process.memoryUsage() after a full GC, in MiB. */
export interface MemorySample {
  turns: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Linux: rss split into anonymous memory (heaps, malloc) and file-backed pages (the node binary, libraries). */
  rssAnon?: number;
  rssFile?: number;
}

/**
 * One window's timing: median µs per turn of its batches and of the young reference batches run among them, and
 * the median ratio of each reference batch's neighbour to it.
 */
export interface WindowTiming {
  turns: number;
  perTurnUs: number;
  youngPerTurnUs: number;
  /** perTurnUs ÷ youngPerTurnUs: 1.0 when a turn's cost does not depend on how long the run has gone on. */
  vsYoung: number;
}

/** What one soak process reports. */
export interface SoakReport {
  mode: SoakStart['mode'];
  turns: number;
  sessions: number;
  samples: MemorySample[];
  windows: WindowTiming[];
  droppedSpans: number;
  wallSeconds: number;
  unhandled: number;
}

const BATCH_TURNS = 500;
/** A young reference batch follows every this many batches. */
const REFERENCE_EVERY = 4;
/** In one-session mode, the reference's session is replaced after this many turns. */
const YOUNG_SESSION_TURNS = 5000;
const TURNS_PER_SESSION = 10;
/** Yield to the event loop this often, so exports (real HTTP) run while the agent works, as they would. */
const YIELD_EVERY = 100;

const mib = (n: number) => n / 2 ** 20;
const yieldToLoop = () => new Promise((r) => setImmediate(r));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

function memory(turns: number): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('soak-child needs --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  const split = rssSplit();
  return {
    ...split,
    turns,
    rss: mib(m.rss),
    heapUsed: mib(m.heapUsed),
    heapTotal: mib(m.heapTotal),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
  };
}

/** RssAnon and RssFile from /proc/self/status (Linux), in MiB. */
function rssSplit(): { rssAnon?: number; rssFile?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
    const rssAnon = kb('RssAnon');
    const rssFile = kb('RssFile');
    return Number.isFinite(rssAnon) && Number.isFinite(rssFile) ? { rssAnon, rssFile } : {};
  } catch {
    return {};
  }
}

let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled++;
});

process.once('message', async (start: SoakStart) => {
  const t0 = performance.now();
  const telemetry = setupTelemetry({
    serviceName: 'reliability-soak',
    endpoint: start.endpoint,
    protocol: 'http/protobuf',
    env: { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    registerGlobal: false,
    warn: () => {},
  });
  const providers = { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider };
  let sessions = 0;

  // The measured agent and, for many-sessions, its current session; one-session keeps a single session open.
  const agent = newAgent({
    ...providers,
    ...(start.registryCapacity !== undefined && {
      registry: new AgentRegistry({ capacity: start.registryCapacity }),
    }),
  });
  let session = agent.open();
  sessions++;
  let inSession = 0;
  /** Runs `n` turns of the measured run. */
  const measured = async (n: number) => {
    for (let i = 0; i < n; i++) {
      if (start.mode === 'many-sessions' && inSession === TURNS_PER_SESSION) {
        session.complete();
        session = agent.open();
        sessions++;
        inSession = 0;
      }
      await turn(session);
      inSession++;
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
    }
  };
  // The young reference: an agent replaced every window (and, in one-session mode, a session replaced every
  // YOUNG_SESSION_TURNS turns), run in batches right next to the measured ones.
  let youngAgent = newAgent(providers);
  let youngSession = youngAgent.open();
  let youngTurns = 0;
  const young = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const limit = start.mode === 'many-sessions' ? TURNS_PER_SESSION : YOUNG_SESSION_TURNS;
      if (youngTurns === limit) {
        youngSession.complete();
        youngSession = youngAgent.open();
        youngTurns = 0;
      }
      await turn(youngSession);
      youngTurns++;
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
    }
  };
  const renewYoung = () => {
    youngSession.complete();
    youngAgent = newAgent(providers);
    youngSession = youngAgent.open();
    youngTurns = 0;
  };
  const timed = async (run: (n: number) => Promise<void>) => {
    const b0 = performance.now();
    await run(BATCH_TURNS);
    return ((performance.now() - b0) * 1000) / BATCH_TURNS;
  };
  const sample = async (turns: number) => {
    // Settle what is in flight (an export's buffers), so a reading is the process's state, not an export's.
    await telemetry.forceFlush();
    return memory(turns);
  };

  await measured(start.warmupTurns);
  await young(start.warmupTurns / 5);
  const samples: MemorySample[] = [await sample(0)];
  const windows: WindowTiming[] = [];
  const perWindow = Math.max(REFERENCE_EVERY, Math.floor(start.turns / start.windows / BATCH_TURNS));
  let done = 0;
  for (let w = 0; w < start.windows; w++) {
    renewYoung();
    await young(BATCH_TURNS);
    const times: number[] = [];
    const youngTimes: number[] = [];
    const ratios: number[] = [];
    for (let b = 0; b < perWindow; b++) {
      const t = await timed(measured);
      times.push(t);
      done += BATCH_TURNS;
      if (b % REFERENCE_EVERY === REFERENCE_EVERY - 1) {
        // Paired with the batch just before it: the same moment's load, so their ratio cancels it.
        const y = await timed(young);
        youngTimes.push(y);
        ratios.push(t / y);
      }
    }
    windows.push({
      turns: done,
      perTurnUs: median(times),
      youngPerTurnUs: median(youngTimes),
      vsYoung: median(ratios),
    });
    samples.push(await sample(done));
    // An investigation aid: SOAK_HEAP_SNAPSHOT=prefix writes a heap snapshot after the first and the last window.
    const snapshot = process.env.SOAK_HEAP_SNAPSHOT;
    if (snapshot && (w === 0 || w === start.windows - 1)) writeHeapSnapshot(`${snapshot}-${w}.heapsnapshot`);
    // A full GC shrinks the young generation; the next turns would run slower while it grows back. Re-warm
    // outside the timed batches (on the reference, so the measured run's count stays exact).
    await young(BATCH_TURNS * 2);
  }
  youngSession.complete();
  session.complete();
  await telemetry.shutdown();
  const report: SoakReport = {
    mode: start.mode,
    turns: done,
    sessions,
    samples,
    windows,
    droppedSpans: telemetry.dropped.spans,
    wallSeconds: (performance.now() - t0) / 1000,
    unhandled,
  };
  process.send?.({ type: 'report', report });
  process.disconnect?.();
});
