// Faults inside the SDK the app wires: a span processor, a span exporter, a sampler, a metric reader or exporter,
// a user event or usage sink that throws or never answers. Each runs in setupTelemetry next to a healthy span
// processor and metric reader; the same workload without the fault is the baseline. The promise: the app's
// results are unchanged, the healthy processor and reader still get everything the baseline got, nothing
// rejects unhandled, and forceFlush/shutdown return within setupTelemetry's bound.
import type { EventSink, UsageSink } from '@agentrace/core';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { CaseResult, ReliabilityCase } from './case.js';
import { callModel, newAgent } from './workload.js';

/** setupTelemetry's shutdown and forceFlush bound in these runs. */
export const SDK_SHUTDOWN_TIMEOUT_MS = 500;
/** Scheduling slack on a loaded machine beyond the bound; a hang would blow far past it. */
export const SDK_SHUTDOWN_MARGIN_MS = 1500;

/** The parts a fault puts in the SDK's path (each optional). */
export interface FaultParts {
  spanProcessor?: SpanProcessor;
  sampler?: Sampler;
  metricReader?: MetricReader;
  eventSink?: EventSink;
  usageSink?: UsageSink;
}

/** One fault inside the SDK. */
export interface SdkFault {
  readonly name: string;
  /** Which row it belongs to. */
  readonly component: SdkComponent;
  build(): FaultParts;
}

/** The rows of the SDK-faults case. */
export type SdkComponent = 'span-processor' | 'span-exporter' | 'sampler' | 'metric-reader' | 'user-sink';

const never = <T>() => new Promise<T>(() => {});
const boom = (what: string) => new Error(`injected fault: ${what}`);

/** A span processor that behaves, except where `overrides` says. */
function processor(overrides: Partial<SpanProcessor>): SpanProcessor {
  return {
    onStart: () => {},
    onEnd: () => {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    ...overrides,
  };
}

/** A span exporter that behaves, except where `overrides` says. */
function spanExporter(overrides: Partial<SpanExporter>): SpanExporter {
  return {
    export: (_spans: ReadableSpan[], done: (r: ExportResult) => void) =>
      done({ code: ExportResultCode.SUCCESS }),
    shutdown: () => Promise.resolve(),
    ...overrides,
  };
}

/** A metric exporter that behaves, except where `overrides` says. */
function metricExporter(overrides: Partial<PushMetricExporter>): PushMetricExporter {
  return {
    export: (_m: ResourceMetrics, done: (r: ExportResult) => void) =>
      done({ code: ExportResultCode.SUCCESS }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    ...overrides,
  };
}

const batch = (exporter: SpanExporter) =>
  new BatchSpanProcessor(exporter, { scheduledDelayMillis: 10, exportTimeoutMillis: 200 });
const periodic = (exporter: PushMetricExporter) =>
  new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 50, exportTimeoutMillis: 40 });

/** A pull reader the case collects itself (the healthy one, and a base for faulty ones). */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class ThrowingReader extends PullReader {
  protected override onForceFlush(): Promise<void> {
    throw boom('metric reader forceFlush');
  }
  protected override onShutdown(): Promise<void> {
    throw boom('metric reader shutdown');
  }
}

class HangingReader extends PullReader {
  protected override onForceFlush(): Promise<void> {
    return never();
  }
  protected override onShutdown(): Promise<void> {
    return never();
  }
}

/** Every fault the case injects. */
export const SDK_FAULTS: readonly SdkFault[] = [
  {
    name: 'onStart throws',
    component: 'span-processor',
    build: () => ({
      spanProcessor: processor({
        onStart: () => {
          throw boom('onStart');
        },
      }),
    }),
  },
  {
    name: 'onEnd throws',
    component: 'span-processor',
    build: () => ({
      spanProcessor: processor({
        onEnd: () => {
          throw boom('onEnd');
        },
      }),
    }),
  },
  {
    name: 'forceFlush/shutdown never resolve',
    component: 'span-processor',
    build: () => ({ spanProcessor: processor({ forceFlush: never, shutdown: never }) }),
  },
  {
    name: 'forceFlush/shutdown throw synchronously',
    component: 'span-processor',
    build: () => ({
      spanProcessor: processor({
        forceFlush: () => {
          throw boom('forceFlush');
        },
        shutdown: () => {
          throw boom('shutdown');
        },
      }),
    }),
  },
  {
    name: 'export throws synchronously',
    component: 'span-exporter',
    build: () => ({
      spanProcessor: batch(
        spanExporter({
          export: () => {
            throw boom('export');
          },
        }),
      ),
    }),
  },
  {
    name: 'export fails, shutdown rejects',
    component: 'span-exporter',
    build: () => ({
      spanProcessor: batch(
        spanExporter({
          export: (_s, done) => done({ code: ExportResultCode.FAILED, error: boom('export') }),
          shutdown: () => Promise.reject(boom('exporter shutdown')),
        }),
      ),
    }),
  },
  {
    name: 'export never calls back, shutdown never resolves',
    component: 'span-exporter',
    build: () => ({
      spanProcessor: batch(spanExporter({ export: () => {}, shutdown: never, forceFlush: never })),
    }),
  },
  {
    name: 'shouldSample throws',
    component: 'sampler',
    build: () => ({
      sampler: {
        shouldSample: () => {
          throw boom('shouldSample');
        },
        toString: () => 'ThrowingSampler',
      },
    }),
  },
  {
    name: 'reader forceFlush/shutdown throw',
    component: 'metric-reader',
    build: () => ({ metricReader: new ThrowingReader() }),
  },
  {
    name: 'reader forceFlush/shutdown never resolve',
    component: 'metric-reader',
    build: () => ({ metricReader: new HangingReader() }),
  },
  {
    name: 'periodic exporter throws synchronously',
    component: 'metric-reader',
    build: () => ({
      metricReader: periodic(
        metricExporter({
          export: () => {
            throw boom('metric export');
          },
          shutdown: () => Promise.reject(boom('metric exporter shutdown')),
        }),
      ),
    }),
  },
  {
    name: 'periodic exporter never calls back',
    component: 'metric-reader',
    build: () => ({
      metricReader: periodic(metricExporter({ export: () => {}, forceFlush: never, shutdown: never })),
    }),
  },
  {
    name: 'event and usage sinks throw',
    component: 'user-sink',
    build: () => ({
      eventSink: {
        emit: () => {
          throw boom('event sink');
        },
      },
      usageSink: {
        record: () => {
          throw boom('usage sink');
        },
      },
    }),
  },
  {
    name: 'async event and usage sinks reject',
    component: 'user-sink',
    // Typed as returning void, but nothing stops a user from passing an async function.
    build: () => ({
      eventSink: {
        emit: (async () => Promise.reject(boom('async event sink'))) as unknown as EventSink['emit'],
      },
      usageSink: {
        record: (async () => Promise.reject(boom('async usage sink'))) as unknown as UsageSink['record'],
      },
    }),
  },
  {
    name: 'async event and usage sinks never resolve',
    component: 'user-sink',
    build: () => ({
      eventSink: { emit: (() => never()) as unknown as EventSink['emit'] },
      usageSink: { record: (() => never()) as unknown as UsageSink['record'] },
    }),
  },
];

/** Sizes of a run. */
export interface SdkWorkload {
  sessions: number;
  turnsPerSession: number;
}

/** What one run (with or without a fault) saw. */
export interface SdkRun {
  /** The app's view: every turn's and tool's result, and each session's cost, serialised. */
  results: string;
  /** Spans the healthy processor received. */
  healthySpans: number;
  /** Sum of `agentrace.cost` the healthy reader collected (µUSD), and its data points. */
  healthyCostMicros: number;
  healthyMetricPoints: number;
  forceFlushMs: number;
  shutdownMs: number;
  /** Unhandled rejections while it ran (and shortly after). */
  unhandled: number;
  /** Thrown out of the workload, telemetry setup or shutdown (the app would have seen it). */
  thrown: string | undefined;
}

function sumCost(rm: ResourceMetrics): { micros: number; points: number } {
  let micros = 0;
  let points = 0;
  for (const scope of rm.scopeMetrics)
    for (const m of scope.metrics) {
      points += m.dataPoints.length;
      if (m.descriptor.name !== 'agentrace.cost') continue;
      for (const p of m.dataPoints) micros += Math.round((p.value as number) * 1e6);
    }
  return { micros, points };
}

/** Runs the workload with `fault` (or none) wired into setupTelemetry beside the healthy processor and reader. */
export async function runWithFault(fault: SdkFault | undefined, size: SdkWorkload): Promise<SdkRun> {
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  const healthyExporter = new InMemorySpanExporter();
  const healthyReader = new PullReader();
  const parts = fault?.build() ?? {};
  let thrown: string | undefined;
  const out: unknown[] = [];
  let forceFlushMs = Number.NaN;
  let shutdownMs = Number.NaN;
  let healthy = { micros: 0, points: 0 };
  let healthySpans = 0;
  try {
    const telemetry = setupTelemetry({
      serviceName: 'reliability-sdk-faults',
      env: {},
      traces: 'none',
      metrics: 'none',
      registerGlobal: false,
      shutdownTimeoutMs: SDK_SHUTDOWN_TIMEOUT_MS,
      warn: () => {},
      ...(parts.sampler && { sampler: parts.sampler }),
      // The faulty part first: a healthy part after it must still get everything.
      spanProcessors: [
        ...(parts.spanProcessor ? [parts.spanProcessor] : []),
        new SimpleSpanProcessor(healthyExporter),
      ],
      metricReaders: [...(parts.metricReader ? [parts.metricReader] : []), healthyReader],
    });
    try {
      const agent = newAgent({
        tracerProvider: telemetry.tracerProvider,
        meterProvider: telemetry.meterProvider,
        ...(parts.eventSink && { eventSink: parts.eventSink }),
        ...(parts.usageSink && { usageSink: parts.usageSink }),
      });
      for (let s = 0; s < size.sessions; s++) {
        const cost = await agent.run(async (session) => {
          for (let t = 0; t < size.turnsPerSession; t++) {
            const turn = await session.runTurn(callModel, { usage: 'auto' });
            out.push([turn.result, turn.usage.toDict(), Math.round(turn.costUsd * 1e6)]);
          }
          out.push(await session.runTool('lookup', async () => ({ tool: s })));
          return Math.round(session.tracker.totalCost() * 1e6);
        });
        out.push(cost);
        // Let timers run (batch exports, periodic metric exports) between sessions, as in a real process.
        await new Promise((r) => setTimeout(r, 5));
      }
      healthy = sumCost((await healthyReader.collect()).resourceMetrics);
    } catch (err) {
      thrown = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    } finally {
      const f0 = performance.now();
      await telemetry.forceFlush();
      forceFlushMs = performance.now() - f0;
      // Read before shutdown: the in-memory exporter forgets its spans when it shuts down.
      healthySpans = healthyExporter.getFinishedSpans().length;
      const s0 = performance.now();
      await telemetry.shutdown();
      shutdownMs = performance.now() - s0;
    }
  } catch (err) {
    thrown ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } finally {
    // Rejections of the fault's promises surface on later turns of the event loop.
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', onUnhandled);
  }
  return {
    results: JSON.stringify(out),
    healthySpans,
    healthyCostMicros: healthy.micros,
    healthyMetricPoints: healthy.points,
    forceFlushMs,
    shutdownMs,
    unhandled,
    thrown,
  };
}

/** What broke under `fault`, compared with the baseline (empty when the promise held). */
export function sdkFaultProblems(baseline: SdkRun, run: SdkRun): string[] {
  const problems: string[] = [];
  if (run.thrown !== undefined) problems.push(`the app saw ${run.thrown}`);
  if (run.results !== baseline.results) problems.push('the app results differ from the baseline');
  if (run.unhandled > 0) problems.push(`${run.unhandled} unhandled rejection(s)`);
  if (run.healthySpans !== baseline.healthySpans)
    problems.push(`the healthy processor got ${run.healthySpans} of ${baseline.healthySpans} spans`);
  if (
    run.healthyCostMicros !== baseline.healthyCostMicros ||
    run.healthyMetricPoints !== baseline.healthyMetricPoints
  )
    problems.push(
      `the healthy reader got ${run.healthyMetricPoints} points / ${run.healthyCostMicros} µUSD of ` +
        `${baseline.healthyMetricPoints} / ${baseline.healthyCostMicros}`,
    );
  const bound = SDK_SHUTDOWN_TIMEOUT_MS + SDK_SHUTDOWN_MARGIN_MS;
  if (!(run.forceFlushMs < bound)) problems.push(`forceFlush took ${Math.round(run.forceFlushMs)} ms`);
  if (!(run.shutdownMs < bound)) problems.push(`shutdown took ${Math.round(run.shutdownMs)} ms`);
  return problems;
}

const SIZES: Record<'short' | 'long', SdkWorkload> = {
  short: { sessions: 3, turnsPerSession: 20 },
  long: { sessions: 40, turnsPerSession: 250 },
};

const DESCRIPTIONS: Record<SdkComponent, string> = {
  'span-processor':
    'a span processor whose onStart/onEnd throw or whose forceFlush/shutdown throw or never resolve',
  'span-exporter':
    'a span exporter (in a BatchSpanProcessor) throwing, failing/rejecting, or never calling back',
  sampler: 'a sampler whose shouldSample throws',
  'metric-reader': 'a metric reader or periodic exporter that throws or never resolves',
  'user-sink': 'user event and usage sinks that throw, reject (async) or never resolve',
};

function componentCase(component: SdkComponent): ReliabilityCase {
  return {
    name: `sdk-fault-${component}`,
    description: DESCRIPTIONS[component],
    async run({ long }): Promise<CaseResult> {
      const size = long ? SIZES.long : SIZES.short;
      const baseline = await runWithFault(undefined, size);
      const faults = SDK_FAULTS.filter((f) => f.component === component);
      const failures: string[] = [];
      let worstShutdown = baseline.shutdownMs;
      for (const fault of faults) {
        const run = await runWithFault(fault, size);
        worstShutdown = Math.max(worstShutdown, run.shutdownMs, run.forceFlushMs);
        const problems = sdkFaultProblems(baseline, run);
        if (problems.length) failures.push(`${fault.name}: ${problems.join(', ')}`);
      }
      return {
        survived: failures.length === 0 && baseline.thrown === undefined && baseline.healthySpans > 0,
        figure:
          `${faults.length - failures.length}/${faults.length} faults: results unchanged, healthy processor ` +
          `${baseline.healthySpans}/${baseline.healthySpans} spans; worst flush/shutdown ${Math.round(worstShutdown)} ms ` +
          `(deadline ${SDK_SHUTDOWN_TIMEOUT_MS} ms + timer latency; unbounded if it hung)`,
        detail:
          `${faults.map((f) => f.name).join('; ')}. ${size.sessions} sessions × ${size.turnsPerSession} turns + a ` +
          `tool call each, the faulty part ahead of a healthy span processor and metric reader in setupTelemetry` +
          (failures.length ? `; FAILED: ${failures.join(' | ')}` : ''),
      };
    },
  };
}

/** One row per SDK component. */
export const sdkFaultCaseList: readonly ReliabilityCase[] = (
  ['span-processor', 'span-exporter', 'sampler', 'metric-reader', 'user-sink'] as const
).map(componentCase);
