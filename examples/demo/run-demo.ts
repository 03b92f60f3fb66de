import { CircuitBreaker, type Disposable, ValidationError, VERSION } from '@agentrace/core';
import {
  type CostSummary,
  createStyle,
  type DroppedTelemetryCounts,
  type PrometheusOptions,
  renderCostTable,
  type SetupTelemetryOptions,
  setupTelemetry,
  type TelemetryEnv,
  type TelemetryHandle,
  type TerminalOutput,
} from '@agentrace/otel-exporter';
import { costBreakdown } from '@agentrace/pricing';
import { type BreakerTransition, type Highlight, highlightsOf } from './highlights.js';
import { Narrator } from './narrator.js';
import { seededRandom } from './random.js';
import {
  type RoundReport,
  runResearchWorkflow,
  SIMULATED_ANTHROPIC,
  SIMULATED_OPENAI,
  topicFor,
} from './research-workflow.js';
import type { BreakerStore } from './shared-state.js';
import { SimulatedClock } from './simulated-clock.js';
import { SimulatedProvider } from './simulated-provider.js';
import { SimulatedTools } from './simulated-tools.js';

/** `service.name` of the demo's telemetry (the Grafana dashboard's Jaeger panel searches for it). */
export const DEMO_SERVICE_NAME = 'agentrace-demo';
/** The seed used when none is given. */
export const DEFAULT_SEED = 42;
/** Where the demo serves Prometheus metrics when asked to without a port. */
export const DEFAULT_PROMETHEUS_PORT = 9464;
/** How long each round waits for Prometheus to scrape it (ms) before the demo stops waiting. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 30_000;
/** Rounds at most: the demo is a demo, not a load generator. */
export const MAX_RUNS = 1000;

/** Options of {@link runDemo}. Every one is optional. */
export interface DemoOptions {
  /** Fixes every random choice of the run (latencies, tokens, tool results, recovery jitter). Default 42. */
  seed?: number;
  /** Rounds of the workflow, back to back in one process (default 1); the breakers live across rounds. */
  runs?: number;
  /** Where the commentary, trace tree and cost table go (default stdout). Colour only when it is a TTY. */
  output?: TerminalOutput;
  /** The `OTEL_*` variables telemetry is configured from (default `process.env`). */
  env?: TelemetryEnv;
  /**
   * Serve a Prometheus scrape endpoint (`true`: port 9464), and after each round wait (up to `scrapeTimeoutMs`)
   * until it has been scraped. Default off: with a collector configured, metrics go to it over OTLP (the
   * docker-compose stack's Collector hands them to Prometheus). It adds to OTLP metrics, never replaces them.
   */
  prometheus?: boolean | PrometheusOptions;
  /** How long a round waits for a scrape (ms, default 30 000). After one wait times out, later rounds do not wait. */
  scrapeTimeoutMs?: number;
  /**
   * Called after each round but the last, once the round's telemetry has been flushed (pushed over OTLP): a
   * caller can wait here until a collector's Prometheus has scraped the round (`--stack` waits a scrape interval),
   * so the dashboard's rates see every round and not only the final totals.
   */
  betweenRounds?: (round: number) => Promise<void>;
  /** Stops the run: in-flight calls are aborted, the agents end cancelled, telemetry is flushed. */
  signal?: AbortSignal;
  /**
   * Share the breakers' state through this store (`RedisStateStore` from `@agentrace/redis`; see
   * `connectSharedState`): every demo process on the same store then sees one circuit per simulated provider.
   * Shared breakers judge time by the store's clock, so when a circuit half-opens depends on real time.
   */
  breakerStore?: BreakerStore;
  /** More `setupTelemetry` options (span processors, metric readers, `warn`, `color`, …). */
  telemetry?: Omit<SetupTelemetryOptions, 'output' | 'env' | 'prometheus'>;
}

/** What {@link runDemo} returns: everything the run recorded, for a caller (or a test) to check. */
export interface DemoResult {
  readonly seed: number;
  readonly rounds: readonly RoundReport[];
  /** Every breaker transition, in order. */
  readonly transitions: readonly BreakerTransition[];
  /** The cost table: agentrace's metrics summed per agent and model (the figures printed at the end). */
  readonly costs: CostSummary;
  /** What the demo promises to show, and whether this run did. */
  readonly highlights: readonly Highlight[];
  /** Where traces went: `console` (terminal), and the OTLP URL when exported. */
  readonly traces: { readonly exporters: readonly string[]; readonly url: string | undefined };
  /** The Prometheus endpoint's URL, when one was served. */
  readonly metricsUrl: string | undefined;
  /** Completed scrapes of that endpoint. */
  readonly scrapes: number;
  /** Telemetry lost on the way (an unreachable collector); the run itself is unaffected. */
  readonly dropped: DroppedTelemetryCounts;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError({ field, value, expected: `an integer from ${min} to ${max}` });
  }
  return value;
}

/** The Prometheus option the demo hands to `setupTelemetry`: none unless asked for. */
function prometheusChoice(option: DemoOptions['prometheus']): PrometheusOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { port: DEFAULT_PROMETHEUS_PORT };
  if (typeof option !== 'object' || option === null) {
    throw new ValidationError({
      field: 'prometheus',
      value: option,
      expected: 'a boolean or { port, host, path }',
    });
  }
  return option;
}

/** Whether the environment names the service (`OTEL_SERVICE_NAME`, or `service.name` in the resource attributes). */
function namesService(env: TelemetryEnv): boolean {
  if (env.OTEL_SERVICE_NAME?.trim()) return true;
  return (env.OTEL_RESOURCE_ATTRIBUTES ?? '')
    .split(',')
    .some((pair) => /^\s*service\.name\s*=\s*\S/.test(pair));
}

function telemetryOptions(
  opts: DemoOptions,
  env: TelemetryEnv,
  seed: number,
  output: TerminalOutput,
): SetupTelemetryOptions {
  const prometheus = prometheusChoice(opts.prometheus);
  return {
    // The user's name for the service wins: the demo's is only a default.
    ...(!namesService(env) && { serviceName: DEMO_SERVICE_NAME }),
    serviceVersion: VERSION,
    resourceAttributes: { 'agentrace.demo.simulated': true, 'agentrace.demo.seed': seed },
    env,
    output,
    // A Prometheus endpoint is added to the metric exporters, never instead of OTLP: with an endpoint set,
    // metrics go over OTLP whether or not they are also served for scraping.
    ...(prometheus && { prometheus }),
    // A short job should not hang for the default 10 s on a collector that is not there.
    ...(!env.OTEL_EXPORTER_OTLP_TIMEOUT?.trim() && { exportTimeoutMs: 3000 }),
    ...opts.telemetry,
  };
}

/**
 * The breakers of the two simulated providers, shared by every agent and round: on the simulation's clock, or on
 * a store's state (and clock) when one is given.
 */
function createBreakers(
  clock: SimulatedClock,
  store: BreakerStore | undefined,
): Record<string, CircuitBreaker> {
  const shared = store ? { store, syncIntervalMs: 100, probeLeaseMs: 5000 } : { clock: () => clock.now() };
  return {
    // Two failures in a row open it; 300 ms later a probe may try again.
    [SIMULATED_OPENAI]: new CircuitBreaker({
      name: SIMULATED_OPENAI,
      failureThreshold: 2,
      recoveryTimeoutMs: 300,
      ...shared,
    }),
    [SIMULATED_ANTHROPIC]: new CircuitBreaker({
      name: SIMULATED_ANTHROPIC,
      failureThreshold: 3,
      recoveryTimeoutMs: 300,
      ...shared,
    }),
  };
}

function banner(
  narrator: Narrator,
  seed: number,
  runs: number,
  telemetry: TelemetryHandle,
  store: BreakerStore | undefined,
  serving: boolean,
): void {
  const { style } = narrator;
  const source = costBreakdown('gpt-4o', {
    inputTokens: 1,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  }).source;
  narrator.line(style.bold(`agentrace demo · seed ${seed} · ${runs} round${runs === 1 ? '' : 's'}`));
  narrator.line(
    style.yellow(
      `SIMULATED model providers: "${SIMULATED_OPENAI}" and "${SIMULATED_ANTHROPIC}" stand in for OpenAI and Anthropic.`,
    ),
  );
  narrator.line(
    style.dim(
      'Nothing leaves this machine and no API key is used. Responses and token counts are made up (from the seed),\n' +
        `the faults are injected on purpose; the prices are real (${source}, @pydantic/genai-prices).`,
    ),
  );
  const { traces, metrics } = telemetry.config;
  const where = [
    traces.url
      ? `traces → ${traces.url}`
      : traces.exporters.includes('console')
        ? 'trace tree below'
        : undefined,
    metrics.url ? `metrics → ${metrics.url}` : undefined,
    telemetry.prometheus && serving ? `metrics served at ${telemetry.prometheus.url}` : undefined,
    metrics.exporters.includes('console') ? 'cost table at the end' : undefined,
  ].filter((s) => s !== undefined);
  narrator.line(style.dim(`Telemetry: ${where.join(', ')}`));
  narrator.line(
    style.dim(
      store
        ? `Circuit breakers: shared through a ${store.kind} state store (every demo process on it sees the same circuits)`
        : 'Circuit breakers: in this process, on the simulation clock',
    ),
  );
  narrator.line();
}

/**
 * Runs the demo: rounds of a researcher → writer → editor workflow against simulated model providers, with
 * injected faults (a 429 with Retry-After, a stalled call, a 503 that opens a circuit, a permission denial, a
 * guardrail block, a budget overrun), traced and measured through `setupTelemetry`. Prints the commentary, the
 * trace tree (or exports it) and the cost table; returns what was recorded.
 *
 * @example
 * ```ts
 * const result = await runDemo({ seed: 7 });
 * console.log(result.costs.total.costUsd, result.highlights.every((h) => h.shown));
 * ```
 * @throws {ValidationError} a bad option (the field is named).
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  if (typeof opts !== 'object' || opts === null) {
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  }
  const seed = integer('seed', opts.seed ?? DEFAULT_SEED, 0, Number.MAX_SAFE_INTEGER);
  const runs = integer('runs', opts.runs ?? 1, 1, MAX_RUNS);
  const scrapeTimeoutMs = integer(
    'scrapeTimeoutMs',
    opts.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS,
    1,
    600_000,
  );
  const output: TerminalOutput = opts.output ?? process.stdout;
  if (typeof output?.write !== 'function') {
    throw new ValidationError({ field: 'output', value: output, expected: 'a stream with write()' });
  }
  const env = opts.env ?? process.env;
  const random = seededRandom(seed);
  const clock = new SimulatedClock();
  const telemetry = setupTelemetry(telemetryOptions(opts, env, seed, output));
  const breakers = createBreakers(clock, opts.breakerStore);
  const narrator = new Narrator(output, createStyle(telemetry.config.color));
  const transitions: BreakerTransition[] = [];
  const rounds: RoundReport[] = [];
  let round = 0;
  const subscriptions: Disposable[] = Object.values(breakers).map((breaker) =>
    breaker.onStateChange((change) => {
      transitions.push({ round, breaker: change.name, from: change.from, to: change.to });
      const text = `⚡ circuit ${change.name}: ${change.from} → ${change.to}`;
      narrator.detail(change.to === 'open' ? narrator.style.red(text) : narrator.style.green(text));
    }),
  );

  try {
    // The endpoint's URL (its port, when 0 was asked for) is known once it listens; a taken port was reported.
    const endpointReady = telemetry.prometheus
      ? await telemetry.prometheus.ready().then(
          () => true,
          () => false,
        )
      : false;
    banner(narrator, seed, runs, telemetry, opts.breakerStore, endpointReady);
    let awaitScrapes = endpointReady;
    for (round = 1; round <= runs; round++) {
      opts.signal?.throwIfAborted();
      const stream = random.fork(`round-${round}`);
      const providers = {
        [SIMULATED_OPENAI]: new SimulatedProvider({
          name: SIMULATED_OPENAI,
          style: 'openai',
          random: stream.fork(SIMULATED_OPENAI),
          clock,
        }),
        [SIMULATED_ANTHROPIC]: new SimulatedProvider({
          name: SIMULATED_ANTHROPIC,
          style: 'anthropic',
          random: stream.fork(SIMULATED_ANTHROPIC),
          clock,
          latencyMs: [25, 70],
        }),
      };
      rounds.push(
        await runResearchWorkflow({
          round,
          topic: topicFor(stream.fork('topic')),
          random: stream,
          clock,
          providers,
          tools: new SimulatedTools({ random: stream.fork('tools'), clock }),
          breakers,
          tracerProvider: telemetry.tracerProvider,
          meterProvider: telemetry.meterProvider,
          narrator,
          ...(opts.signal && { signal: opts.signal }),
        }),
      );
      narrator.line();
      if (opts.betweenRounds && round < runs) {
        await telemetry.forceFlush();
        await opts.betweenRounds(round);
      }
      if (awaitScrapes && telemetry.prometheus) {
        awaitScrapes = await waitForScrapes(telemetry.prometheus, narrator, {
          // The last round waits for two scrapes: the second began after the first ended, so after the round did.
          count: round === runs ? 2 : 1,
          timeoutMs: scrapeTimeoutMs,
          ...(opts.signal && { signal: opts.signal }),
        });
      }
    }
    if (!telemetry.config.metrics.exporters.includes('console')) {
      const table = renderCostTable(await telemetry.costSummary(), {
        style: narrator.style,
        title: `Cost by agent and model (${telemetry.config.serviceName})`,
      });
      if (table) narrator.line(table.trimEnd());
    }
  } finally {
    for (const s of subscriptions) s.dispose();
    // Shared breakers poll their store in the background; stop that so the process can exit.
    for (const breaker of Object.values(breakers)) breaker.close();
    await telemetry.shutdown();
  }

  const costs = await telemetry.costSummary();
  const highlights = highlightsOf(rounds, transitions, costs);
  printHighlights(narrator, highlights, rounds, telemetry);
  return {
    seed,
    rounds,
    transitions,
    costs,
    highlights,
    traces: { exporters: telemetry.config.traces.exporters, url: telemetry.config.traces.url },
    metricsUrl: telemetry.prometheus?.url,
    scrapes: telemetry.prometheus?.scrapes ?? 0,
    dropped: telemetry.dropped,
  };
}

async function waitForScrapes(
  endpoint: NonNullable<TelemetryHandle['prometheus']>,
  narrator: Narrator,
  opts: { count: number; timeoutMs: number; signal?: AbortSignal },
): Promise<boolean> {
  narrator.line(narrator.style.dim(`  waiting for Prometheus to scrape ${endpoint.url} …`));
  for (let i = 0; i < opts.count; i++) {
    const scraped = await endpoint.waitForScrape({
      timeoutMs: opts.timeoutMs,
      ...(opts.signal && { signal: opts.signal }),
    });
    if (!scraped) {
      narrator.line(
        narrator.style.yellow(
          `  no scrape of ${endpoint.url} within ${opts.timeoutMs} ms: is Prometheus running (docker compose up -d)? Not waiting again.`,
        ),
      );
      return false;
    }
  }
  narrator.line();
  return true;
}

function printHighlights(
  narrator: Narrator,
  highlights: readonly Highlight[],
  rounds: readonly RoundReport[],
  telemetry: TelemetryHandle,
): void {
  const { style } = narrator;
  narrator.line();
  narrator.line(style.bold('What this run showed'));
  for (const h of highlights) {
    const mark = h.shown ? style.green('✓') : style.red('✗ missing');
    narrator.line(`  ${mark} ${h.title}${h.evidence ? style.dim(`  (${h.evidence})`) : ''}`);
  }
  printDelivery(narrator, rounds, telemetry);
}

/**
 * What became of the exported telemetry, as the exporter counted it: delivered, or lost (how much, and where it
 * was meant to go). Never "exported" for what was not.
 */
function printDelivery(narrator: Narrator, rounds: readonly RoundReport[], telemetry: TelemetryHandle): void {
  const { style } = narrator;
  const { traces, metrics } = telemetry.config;
  const dropped = telemetry.dropped;
  if (traces.otlp === undefined && metrics.otlp === undefined) return;
  narrator.line();
  if (traces.otlp) {
    const where = `${traces.otlp.url} (${traces.otlp.protocol})`;
    if (dropped.spans === 0) {
      narrator.line(
        `Traces were exported to ${where}. In Jaeger (http://localhost:16686 with the docker-compose stack):`,
      );
      for (const r of rounds) narrator.line(`  round ${r.round}: http://localhost:16686/trace/${r.traceId}`);
    } else {
      narrator.line(
        style.red(
          `${dropped.spans} span${dropped.spans === 1 ? '' : 's'} meant for ${where} were lost (the export failed or timed out); ` +
            'the traces there are missing or incomplete.',
        ),
      );
    }
  }
  if (metrics.otlp) {
    const where = `${metrics.otlp.url} (${metrics.otlp.protocol})`;
    if (dropped.metricExports === 0) narrator.line(`Metrics were exported to ${where}.`);
    else
      narrator.line(
        style.red(
          `${dropped.metricExports} metric export${dropped.metricExports === 1 ? '' : 's'} (${dropped.metricPoints} data points) ` +
            `meant for ${where} were lost; the costs and durations there are missing or incomplete.`,
        ),
      );
  }
  if (dropped.spans > 0 || dropped.metricExports > 0) {
    narrator.line(style.dim('The run itself was unaffected; the figures above are complete.'));
  }
}
