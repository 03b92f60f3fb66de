// The one workload every variant runs: a simulated model call (no network, so the figures are the
// instrumentation's cost, not the provider's) with realistic options, and a hand-written equivalent span.
import {
  AgentSession,
  type RunTurnOptions,
  type Session,
  semconv as sc,
  type TurnContext,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { type Attributes, type Histogram, type Meter, SpanKind, type Tracer } from '@opentelemetry/api';

/** A dated model name, priced through the `gpt-4o` prefix registration (the common production case). */
export const MODEL = 'gpt-4o-2024-08-06';
export const PROVIDER = 'openai';
export const ROLE = 'researcher';

/** The user's own price table (exact figures do not matter; that a registered price is resolved does). */
export const prices = new PriceTable().register('gpt-4o', {
  inputPerMillion: 2.5,
  outputPerMillion: 10,
  cacheReadPerMillion: 1.25,
});

/** The shape of an OpenAI chat completion, reduced to what instrumentation reads. */
export interface SimulatedCompletion {
  id: string;
  model: string;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
  };
}

// SIMULATED provider response: one frozen object, so the work itself costs the same in every variant.
const COMPLETION: SimulatedCompletion = Object.freeze({
  id: 'chatcmpl-simulated',
  model: MODEL,
  usage: { prompt_tokens: 1200, completion_tokens: 350, prompt_tokens_details: { cached_tokens: 800 } },
});

/** The work function: a simulated model call that honours its signal and resolves on the microtask queue. */
export async function callModel(signal: AbortSignal, _turn?: TurnContext): Promise<SimulatedCompletion> {
  if (signal.aborted) throw signal.reason;
  return COMPLETION;
}

/** Token counts as agentrace takes them. */
export interface Counts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** OpenAI counts cached tokens inside `prompt_tokens`; agentrace's plain input excludes them. */
export function usageOf(r: SimulatedCompletion): Counts {
  const cached = r.usage.prompt_tokens_details.cached_tokens;
  return {
    inputTokens: r.usage.prompt_tokens - cached,
    outputTokens: r.usage.completion_tokens,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** Request attributes a real caller passes (they land on the model-call span). */
export const REQUEST_ATTRIBUTES: Attributes = Object.freeze({
  [sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 1024,
  [sc.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
});

/** The options every measured `runTurn` uses. */
export const TURN_OPTIONS: RunTurnOptions<SimulatedCompletion> = Object.freeze({
  model: MODEL,
  provider: PROVIDER,
  estimateUsage: usageOf,
  attributes: REQUEST_ATTRIBUTES,
});

/** An agent whose sessions may run `Number.MAX_SAFE_INTEGER` turns (`Infinity` is not a valid cap). */
export function newAgent(): AgentSession {
  return new AgentSession({
    role: ROLE,
    phase: 'bench',
    model: MODEL,
    provider: PROVIDER,
    pricing: prices,
    maxIterations: Number.MAX_SAFE_INTEGER,
  });
}

/** One turn through agentrace. */
export function agentraceTurn(session: Session): Promise<unknown> {
  return session.runTurn(callModel, TURN_OPTIONS);
}

/**
 * Which metric points a {@link HandWritten} turn records besides its span:
 * - `none`: the span only (variant d);
 * - `naive`: the four points agentrace records per turn, with attribute objects built per point and the cost
 *   as a synchronous counter (variant e, what instrumentation written inline usually looks like);
 * - `floor`: only the three histogram points the GenAI conventions require (two `gen_ai.client.token.usage`,
 *   one `gen_ai.client.operation.duration`), with their attribute sets built once and reused (variant f: the
 *   least any instrumentation that follows the conventions can pay, since the SDK hashes every point).
 */
export type HandWrittenMetrics = 'none' | 'naive' | 'floor';

/** What a careful hand-written instrumentation would record for one model call (variants d, e and f). */
export class HandWritten {
  readonly #tracer: Tracer;
  readonly #metrics: HandWrittenMetrics;
  readonly #tokens: Histogram | undefined;
  readonly #duration: Histogram | undefined;
  readonly #cost: { add(v: number, a?: Attributes): void } | undefined;
  readonly #controller = new AbortController();
  #turn = 0;

  /** With a `meter`, also records metric points as `metrics` says (`naive` by default). */
  constructor(tracer: Tracer, meter?: Meter, metrics: HandWrittenMetrics = meter ? 'naive' : 'none') {
    this.#tracer = tracer;
    this.#metrics = meter ? metrics : 'none';
    if (meter && this.#metrics !== 'none') {
      this.#tokens = meter.createHistogram('bench.gen_ai.client.token.usage', { unit: '{token}' });
      this.#duration = meter.createHistogram('bench.gen_ai.client.operation.duration', { unit: 's' });
      this.#cost = meter.createCounter('bench.cost', { unit: '{USD}' });
    }
  }

  /** Turns made so far (warm-up included). */
  get turns(): number {
    return this.#turn;
  }

  /** One model call as a single active CLIENT span with agentrace's attributes (and metrics, if asked). */
  turn(): Promise<SimulatedCompletion> {
    const turnNumber = ++this.#turn;
    const start = this.#duration ? performance.now() : 0;
    return this.#tracer.startActiveSpan(
      `${sc.GEN_AI_OPERATION_NAME_VALUE_CHAT} ${MODEL}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_CHAT,
          [sc.ATTR_GEN_AI_PROVIDER_NAME]: PROVIDER,
          [sc.ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
          [sc.ATTR_GEN_AI_AGENT_NAME]: ROLE,
          [sc.ATTR_AGENTRACE_TURN_NUMBER]: turnNumber,
          ...REQUEST_ATTRIBUTES,
        },
      },
      async (span) => {
        try {
          const result = await callModel(this.#controller.signal);
          const u = usageOf(result);
          const cost = prices.costBreakdown(MODEL, u, { provider: PROVIDER });
          span.setAttributes({
            [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens,
            [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.outputTokens,
            [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cacheReadTokens,
            [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWriteTokens,
            [sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS]: u.inputTokens,
            [sc.ATTR_AGENTRACE_USAGE_COST]: cost.total,
            [sc.ATTR_AGENTRACE_COST_SOURCE]: cost.source,
          });
          if (this.#metrics === 'naive' && this.#tokens && this.#duration && this.#cost) {
            const attrs = {
              [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_CHAT,
              [sc.ATTR_GEN_AI_PROVIDER_NAME]: PROVIDER,
              [sc.ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
              [sc.ATTR_GEN_AI_AGENT_NAME]: ROLE,
            };
            this.#tokens.record(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens, {
              ...attrs,
              [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'input',
            });
            this.#tokens.record(u.outputTokens, { ...attrs, [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
            this.#cost.add(cost.total, attrs);
            this.#duration.record((performance.now() - start) / 1000, attrs);
          } else if (this.#metrics === 'floor' && this.#tokens && this.#duration) {
            this.#tokens.record(
              u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens,
              FLOOR_ATTRIBUTES.input,
            );
            this.#tokens.record(u.outputTokens, FLOOR_ATTRIBUTES.output);
            this.#duration.record((performance.now() - start) / 1000, FLOOR_ATTRIBUTES.base);
          }
          return result;
        } finally {
          span.end();
        }
      },
    );
  }
}

/** Variant f's metric attribute sets, built once: the same keys and values agentrace's points carry. */
const FLOOR_BASE: Attributes = Object.freeze({
  [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_CHAT,
  [sc.ATTR_GEN_AI_PROVIDER_NAME]: PROVIDER,
  [sc.ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
  [sc.ATTR_GEN_AI_AGENT_NAME]: ROLE,
});
const FLOOR_ATTRIBUTES = Object.freeze({
  base: FLOOR_BASE,
  input: Object.freeze({ ...FLOOR_BASE, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT }),
  output: Object.freeze({ ...FLOOR_BASE, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT }),
});
