// The entry points the first fuzzing slice left out: guardrail specs (and the verdicts their checks return), the
// options of the shared-state consumers and stores, every provider adapter and the stream accumulator on arbitrary
// JSON, the AI SDK middleware's options and call inputs, and every OTEL_* variable the exporter reads (signal
// variants included) plus the content-capture switch. Same contract as fuzz.ts: success or a typed agentrace
// error, no hang, and a session that still works after a failed call.
import { agentraceMiddleware, requestAttributes } from '@agentrace/ai-sdk';
import {
  AgentRegistry,
  AgentSession,
  aiSdkUsage,
  anthropicUsage,
  backoffDelay,
  bedrockUsage,
  CircuitBreaker,
  captureContentFromEnv,
  createStreamAccumulator,
  defineGuardrail,
  FailureRateStrategy,
  GuardrailStage,
  geminiUsage,
  InMemoryStateStore,
  openAIChatUsage,
  openAIResponsesUsage,
  RateLimiter,
  readAiSdkResult,
  readAnthropicMessage,
  readBedrockConverse,
  readGeminiResponse,
  readOpenAIChatCompletion,
  readOpenAIResponse,
  retryAfterMs,
  runGuardrails,
  SharedBudget,
  UsageTracker,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { RedisStateStore } from '@agentrace/redis';
import fc from 'fast-check';
import { resolveSetup } from '../../packages/otel-exporter/src/resolve-config.js';
import { assertSessionSound, expectTyped, expectTypedAsync, maybe, wild } from './fuzz-contract.js';
import { MODEL, PROVIDER, priceTable } from './workload.js';

/** Every OTLP setting the exporter reads, general and per signal (the specification's variable set). */
const OTLP_SETTINGS = [
  'ENDPOINT',
  'PROTOCOL',
  'HEADERS',
  'TIMEOUT',
  'COMPRESSION',
  'INSECURE',
  'CERTIFICATE',
  'CLIENT_KEY',
  'CLIENT_CERTIFICATE',
] as const;
export const OTLP_ENV_NAMES: readonly string[] = OTLP_SETTINGS.flatMap((s) => [
  `OTEL_EXPORTER_OTLP_${s}`,
  `OTEL_EXPORTER_OTLP_TRACES_${s}`,
  `OTEL_EXPORTER_OTLP_METRICS_${s}`,
]);
const OTHER_ENV_NAMES = [
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
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
  'AGENTRACE_DATASET',
  'NO_COLOR',
  'FORCE_COLOR',
];

const envValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1e309',
    'NaN',
    'true',
    'TRUE',
    'false',
    'grpc',
    'http/json',
    'gzip',
    'none',
    'http://',
    'http://[::1',
    'a=b,c',
    '%zz=1',
    '=',
    ',,,',
    '99999999999',
    '/nonexistent/cert.pem',
  ),
);

/** Arbitrary JSON and the odd values JSON cannot hold. */
const anyJson = fc.oneof(fc.jsonValue(), wild, fc.dictionary(fc.string(), wild));

/** Guardrail definitions, and checks returning any verdict (the spec a user writes). */
const verdictArb = fc.oneof(
  fc.boolean(),
  wild,
  fc.record({ allowed: fc.oneof(fc.boolean(), wild), reason: maybe(wild) }, { requiredKeys: [] }),
);
const guardrailSpecArb = fc.oneof(
  wild,
  fc.record(
    {
      name: fc.oneof(fc.constant('g'), wild),
      pre: maybe(
        fc.oneof(
          wild,
          verdictArb.map((v) => () => v),
        ),
      ),
      post: maybe(
        fc.oneof(
          wild,
          verdictArb.map((v) => async () => v),
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

const optionsRecord = (keys: readonly string[]) =>
  fc.oneof(wild, fc.record(Object.fromEntries(keys.map((k) => [k, maybe(wild)])), { requiredKeys: [] }));

/** Fuzzes the remaining entry points `runs` times each; returns the inputs tried per entry point. */
export async function fuzzMoreEntryPoints(runs: number, seed?: number): Promise<Record<string, number>> {
  const params = { numRuns: runs, ...(seed !== undefined && { seed }) };
  const figures: Record<string, number> = {};
  const count = (name: string) => {
    figures[name] = (figures[name] ?? 0) + 1;
  };

  // Guardrail specs: defining one, running it directly, and running a tool under it in a live session.
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
    fc.asyncProperty(guardrailSpecArb, wild, async (spec, value) => {
      count('guardrail specs and verdicts');
      let guardrail: ReturnType<typeof defineGuardrail> | undefined;
      expectTyped('defineGuardrail', () => {
        guardrail = defineGuardrail(spec as never);
      });
      if (!guardrail) return;
      const g = guardrail;
      for (const stage of [GuardrailStage.PRE, GuardrailStage.POST]) {
        await expectTypedAsync('runGuardrails', () =>
          runGuardrails([g], { stage, role: 'fuzz', tool: 't', value }),
        );
      }
      const guarded = new AgentSession({
        role: 'fuzz',
        phase: 'fuzz',
        model: MODEL,
        provider: PROVIDER,
        pricing: priceTable(),
        guardrails: [g],
      });
      await expectTypedAsync('runTool under a fuzzed guardrail', () =>
        guarded.run((s) => s.runTool('t', async () => value)),
      );
    }),
    params,
  );

  // The options of the shared-state consumers and the stores they use.
  const store = new InMemoryStateStore();
  fc.assert(
    fc.property(
      optionsRecord(['name', 'limitUsd', 'enforce', 'scope', 'reservationTtlMs', 'ttlMs', 'dedupeWindowMs']),
      optionsRecord(['name', 'failureThreshold', 'recoveryTimeoutMs', 'halfOpenMaxProbes', 'probeLeaseMs']),
      optionsRecord(['name', 'rules', 'maxWaitMs', 'localShare']),
      optionsRecord(['prefix', 'commandTimeoutMs', 'retryIntervalMs', 'failurePolicy', 'clock']),
      (budget, breaker, limiter, redis) => {
        count(
          'constructor and function options (breaker, budget, rate limit, stores, prices, registry, backoff)',
        );
        const withStore = (o: unknown) => (typeof o === 'object' && o !== null ? { store, ...o } : o);
        expectTyped('new SharedBudget', () => new SharedBudget(withStore(budget) as never).close());
        expectTyped('new CircuitBreaker', () => new CircuitBreaker(breaker as never).close());
        expectTyped('new RateLimiter', () => new RateLimiter(withStore(limiter) as never));
        expectTyped('new FailureRateStrategy', () => new FailureRateStrategy(breaker as never));
        expectTyped('new UsageTracker', () => new UsageTracker(budget as never));
        expectTyped('new InMemoryStateStore', () => new InMemoryStateStore(redis as never));
        expectTyped('new PriceTable', () => new PriceTable(redis as never));
        expectTyped('new AgentRegistry', () => new AgentRegistry(limiter as never));
        expectTyped('backoffDelay', () => backoffDelay(1, breaker as never));
        expectTyped('retryAfterMs', () => retryAfterMs(new Error('429'), budget as never));
        const client = { command: async () => null };
        expectTyped(
          'new RedisStateStore',
          () =>
            new RedisStateStore(
              (typeof redis === 'object' && redis !== null ? { client, ...redis } : redis) as never,
            ),
        );
      },
    ),
    params,
  );

  // Every provider adapter, and the stream accumulator, on arbitrary JSON.
  fc.assert(
    fc.property(anyJson, fc.array(anyJson, { maxLength: 6 }), (json, chunks) => {
      count('provider adapters and stream chunks on arbitrary JSON');
      for (const [where, fn] of [
        ['openAIChatUsage', openAIChatUsage],
        ['openAIResponsesUsage', openAIResponsesUsage],
        ['anthropicUsage', anthropicUsage],
        ['geminiUsage', geminiUsage],
        ['bedrockUsage', bedrockUsage],
        ['aiSdkUsage', aiSdkUsage],
        ['readOpenAIChatCompletion', readOpenAIChatCompletion],
        ['readOpenAIResponse', readOpenAIResponse],
        ['readAnthropicMessage', readAnthropicMessage],
        ['readGeminiResponse', readGeminiResponse],
        ['readBedrockConverse', readBedrockConverse],
        ['readAiSdkResult', readAiSdkResult],
      ] as const) {
        expectTyped(where, () => (fn as (v: unknown) => unknown)(json));
      }
      expectTyped('stream accumulator', () => {
        const acc = createStreamAccumulator();
        for (const chunk of chunks) acc.add(chunk);
        acc.facts();
      });
    }),
    params,
  );

  // The AI SDK middleware: its options, and each call's parameters, model and result, against a live session.
  const callParams = fc.record(
    {
      prompt: maybe(wild),
      maxOutputTokens: maybe(wild),
      temperature: maybe(wild),
      topP: maybe(wild),
      abortSignal: maybe(wild),
      tools: maybe(wild),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(
      optionsRecord(['turnOptions', 'recordInput']),
      fc.boolean(),
      callParams,
      fc.record({
        provider: fc.oneof(fc.constant('openai.chat'), wild),
        modelId: fc.oneof(fc.constant(MODEL), wild),
      }),
      anyJson,
      async (options, stream, callParamsValue, model, result) => {
        count('AI SDK middleware options and call inputs');
        expectTyped('requestAttributes', () => requestAttributes(callParamsValue as never, { stream }));
        let middleware: ReturnType<typeof agentraceMiddleware> | undefined;
        expectTyped('agentraceMiddleware', () => {
          middleware = agentraceMiddleware(
            (typeof options === 'object' && options !== null ? { session, ...options } : options) as never,
          );
        });
        if (!middleware) return;
        const before = session.tracker.totalCost();
        const m = { ...model, doGenerate: async () => result, doStream: async () => ({ stream: result }) };
        const call = { params: callParamsValue, model: m, doGenerate: m.doGenerate, doStream: m.doStream };
        await expectTypedAsync('wrapGenerate', async () => middleware?.wrapGenerate?.(call as never));
        await expectTypedAsync('wrapStream', async () => {
          const out = (await middleware?.wrapStream?.(call as never)) as { stream?: unknown } | undefined;
          // Drain a stream the session handed back, so its turn ends.
          const s = out?.stream as ReadableStream | undefined;
          if (s && typeof s.getReader === 'function') {
            const reader = s.getReader();
            while (!(await reader.read()).done) {}
          }
        });
        assertSessionSound(session, before);
      },
    ),
    params,
  );
  // After every failed call the session still works.
  const after = await session.runTurn(async () => 'ok', { usage: { inputTokens: 2, outputTokens: 2 } });
  if (after.result !== 'ok') throw new Error('the session no longer runs turns after the fuzzed calls');
  session.complete();

  // Every OTEL_* variable the exporter reads, per signal too, and the content-capture switch.
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...OTLP_ENV_NAMES, ...OTHER_ENV_NAMES), envValue), (env) => {
      count('every OTEL_* / AGENTRACE_* variable, per signal');
      expectTyped('resolveSetup(env)', () =>
        resolveSetup({ env, registerGlobal: false }, { write: () => true }),
      );
      expectTyped('captureContentFromEnv', () => captureContentFromEnv(env));
    }),
    params,
  );
  return figures;
}
