// Fuzzed input over agentrace's public entry points (fast-check). Every outcome must be a success or a typed
// agentrace error (a ValidationError naming its field); any other throw, a hang, or a corrupted session is a
// finding. `fuzzEntryPoints(runs)` returns, per entry point, the inputs tried; a failure throws with the
// counterexample (fast-check shrinks it).
import {
  AgentEvent,
  AgentSession,
  detectResponse,
  detectResponseOrThrow,
  PermissionPolicy,
  PolicyEngine,
  phaseContextFromDict,
  UsageSnapshot,
} from '@agentrace/core';
import { PriceTable, parsePriceFile } from '@agentrace/pricing';
import fc from 'fast-check';
import { resolveSetup } from '../../packages/otel-exporter/src/resolve-config.js';
import type { CaseResult, ReliabilityCase } from './case.js';
import {
  assertSessionSound,
  describe,
  expectTyped,
  expectTypedAsync,
  maybe,
  wild,
  withDeadline,
} from './fuzz-contract.js';
import { fuzzMoreEntryPoints } from './fuzz-more.js';
import { MODEL, PROVIDER, priceTable } from './workload.js';

export { isTypedOutcome } from './fuzz-contract.js';

const usageArb = fc.oneof(
  wild,
  fc.record(
    {
      inputTokens: maybe(fc.oneof(fc.nat(), wild)),
      outputTokens: maybe(fc.oneof(fc.nat(), wild)),
      cacheReadTokens: maybe(fc.oneof(fc.nat(), wild)),
      cacheWriteTokens: maybe(fc.oneof(fc.nat(), wild)),
      reasoningTokens: maybe(fc.oneof(fc.nat(), wild)),
    },
    { requiredKeys: [] },
  ),
);

const turnOptionsArb = fc.record(
  {
    model: maybe(fc.oneof(fc.constant(MODEL), wild)),
    provider: maybe(fc.oneof(fc.constant(PROVIDER), wild)),
    operation: maybe(wild),
    usage: maybe(fc.oneof(usageArb, fc.constant('auto'))),
    timeoutMs: maybe(wild),
    attributes: maybe(wild),
    recovery: maybe(fc.oneof(fc.constant(false), wild)),
    expectedUsage: maybe(usageArb),
    stream: maybe(wild),
    input: maybe(wild),
  },
  { requiredKeys: [] },
);

const agentOptionsArb = fc.record(
  {
    role: fc.oneof(fc.constant('fuzz'), wild),
    phase: fc.oneof(fc.constant('fuzz'), wild),
    projectId: maybe(wild),
    budgetUsd: maybe(wild),
    enforceBudget: maybe(wild),
    maxIterations: maybe(wild),
    maxEvents: maybe(wild),
    provider: maybe(wild),
    model: maybe(wild),
    description: maybe(wild),
    conversationId: maybe(wild),
    gates: maybe(wild),
    guardrails: maybe(wild),
    recovery: maybe(wild),
    eventSink: maybe(wild),
    usageSink: maybe(wild),
    clock: maybe(wild),
    signal: maybe(wild),
  },
  { requiredKeys: ['role', 'phase'] },
);

/** A thrown value of any kind: Errors, strings, undefined, plain and cyclic objects. */
export const thrownArb = fc.oneof(
  fc.string().map((m) => new Error(m)),
  fc.string(),
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.anything({ maxDepth: 2 }),
  fc.string().map((m) => {
    const cyclic: Record<string, unknown> = { message: m, status: 503 };
    cyclic.self = cyclic;
    return cyclic;
  }),
);

const ENV_NAMES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_INSECURE',
  'OTEL_EXPORTER_OTLP_CERTIFICATE',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
  'AGENTRACE_DATASET',
] as const;

const envValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'NaN',
    'true',
    'grpc',
    'http://',
    '::',
    'a=b,c',
    '%zz=1',
    '99999999999',
  ),
);

/** The figures of one fuzzing pass: inputs tried per entry point. */
export type FuzzFigures = Record<string, number>;

/** Fuzzes every entry point `runs` times each; throws with a shrunk counterexample on a broken contract. */
export async function fuzzEntryPoints(runs: number, seed?: number): Promise<FuzzFigures> {
  const params = { numRuns: runs, ...(seed !== undefined && { seed }) };
  const figures: FuzzFigures = {};
  const count = (name: string) => {
    figures[name] = (figures[name] ?? 0) + 1;
  };

  fc.assert(
    fc.property(agentOptionsArb, (opts) => {
      count('AgentSession options');
      expectTyped('new AgentSession', () => new AgentSession(opts as never));
    }),
    params,
  );

  // runTurn options and usage: one session for the whole run, so corruption of its totals would show.
  const agent = new AgentSession({
    role: 'fuzz',
    phase: 'fuzz',
    model: MODEL,
    provider: PROVIDER,
    pricing: priceTable(),
    maxIterations: Number.POSITIVE_INFINITY,
  });
  const session = agent.open();
  await fc.assert(
    fc.asyncProperty(turnOptionsArb, usageArb, async (opts, estimate) => {
      count('runTurn options and usage');
      const before = session.tracker.totalCost();
      await expectTypedAsync('runTurn', () =>
        session.runTurn(async () => ({ ok: true }), {
          ...(opts as object),
          estimateUsage: () => estimate as never,
        }),
      );
      assertSessionSound(session, before);
    }),
    params,
  );

  // Whatever the user's work throws is rethrown as it was, classified and recorded; the session stays sound.
  await fc.assert(
    fc.asyncProperty(thrownArb, async (thrown) => {
      count('runTurn work throwing any value');
      const before = session.tracker.totalCost();
      // The session keeps its newest events only (a bounded buffer): what this input added is what follows the
      // newest event seen before it, not an index that stops moving once the buffer is full.
      const lastBefore = session.events.at(-1);
      let seen: unknown = Symbol('none');
      try {
        await withDeadline(
          session.runTurn(
            async () => {
              throw thrown;
            },
            { recovery: false },
          ),
          2000,
          'runTurn throwing',
        );
      } catch (err) {
        seen = err;
      }
      if (seen !== thrown) throw new Error(`the thrown ${describe(thrown)} came back as ${describe(seen)}`);
      // Classified: the recovery event names the failure scenario the thrown value was classified into.
      const after = session.events;
      const failed = after
        .slice(lastBefore === undefined ? 0 : after.lastIndexOf(lastBefore) + 1)
        .some((e) => typeof e.data?.scenario === 'string' && e.data.scenario.length > 0);
      if (!failed) throw new Error(`no event classified the thrown ${describe(thrown)}`);
      assertSessionSound(session, before);
    }),
    params,
  );

  await fc.assert(
    fc.asyncProperty(wild, wild, thrownArb, fc.boolean(), async (name, opts, thrown, throws) => {
      count('runTool name, options, throws');
      await expectTypedAsync('runTool', async () => {
        try {
          await session.runTool(
            name as never,
            async () => {
              if (throws) throw thrown;
              return 1;
            },
            opts as never,
          );
        } catch (err) {
          if (throws && err === thrown) return;
          throw err;
        }
      });
    }),
    params,
  );
  session.complete();

  fc.assert(
    fc.property(fc.oneof(fc.string(), wild), wild, usageArb, (model, pricing, usage) => {
      count('prices and usage');
      expectTyped('PriceTable.register', () => new PriceTable().register(model as never, pricing as never));
      expectTyped('costBreakdown', () => priceTable().costBreakdown(model as never, usage as never));
    }),
    params,
  );

  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), wild), (file) => {
      count('price files');
      expectTyped('parsePriceFile', () => parsePriceFile(file, 'fuzz.json'));
    }),
    params,
  );

  fc.assert(
    fc.property(fc.oneof(wild, fc.array(wild)), wild, (rules, options) => {
      count('policy rules and permission specs');
      expectTyped('PolicyEngine', () => new PolicyEngine(rules as never));
      expectTyped('PermissionPolicy', () => new PermissionPolicy(options as never));
    }),
    params,
  );

  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), wild), (obj) => {
      count('wire decoders (fromDict / fromJSON)');
      expectTyped('UsageSnapshot.fromDict', () => UsageSnapshot.fromDict(obj));
      expectTyped('AgentEvent.fromDict', () => AgentEvent.fromDict(obj));
      expectTyped('phaseContextFromDict', () => phaseContextFromDict(obj));
      if (typeof obj === 'string') expectTyped('AgentEvent.fromJSON', () => AgentEvent.fromJSON(obj));
    }),
    params,
  );

  fc.assert(
    fc.property(fc.jsonValue(), (json) => {
      count('provider response detection');
      // Detection never throws; the strict form throws only its typed error.
      detectResponse(json);
      expectTyped('detectResponseOrThrow', () => detectResponseOrThrow(json));
    }),
    params,
  );

  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...ENV_NAMES), envValue), (env) => {
      count('OTEL_* / AGENTRACE_* variables');
      // Bad variables are warned about and replaced by defaults (the configuration spec); an unsupported OTLP
      // protocol is the one typed refusal (UnsupportedProtocolError, naming the variable).
      expectTyped('resolveSetup(env)', () =>
        resolveSetup({ env, registerGlobal: false }, { write: () => true }),
      );
    }),
    params,
  );
  Object.assign(figures, await fuzzMoreEntryPoints(runs, seed));
  return figures;
}

/** Fuzzed input over every public entry point (`long`: 3 000 inputs per entry point, else 150). */
export const fuzzCase: ReliabilityCase = {
  name: 'fuzz-entry-points',
  description:
    'fast-check over every public entry point: success or a typed error naming the field; no crash, hang or corrupted session',
  run: async ({ long }): Promise<CaseResult> => {
    const runs = long ? 3000 : 150;
    // Fuzzed model names are unpriced; their one-time warnings would flood the output.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const figures = await fuzzEntryPoints(runs);
      const tried = Object.values(figures).reduce((a, b) => a + b, 0);
      const entries = Object.keys(figures).length;
      return {
        survived: unhandled.length === 0,
        figure: `${tried} inputs tried over ${entries} entry points, 0 untyped outcomes`,
        detail:
          `${runs} inputs per entry point (${Object.keys(figures).join('; ')}); unhandled rejections: ` +
          `${unhandled.length}`,
      };
    } catch (err) {
      return {
        survived: false,
        figure: 'an input broke the contract',
        detail: err instanceof Error ? err.message.slice(0, 500) : String(err),
      };
    } finally {
      process.emitWarning = emitWarning;
      process.off('unhandledRejection', onUnhandled);
    }
  },
};
