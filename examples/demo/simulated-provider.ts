import { setTimeout as sleep } from 'node:timers/promises';
import { AgentraceError, ValidationError } from '@agentrace/core';
import type { SeededRandom } from './random.js';
import type { SimulatedClock } from './simulated-clock.js';

/**
 * The response shape a simulated provider answers in: OpenAI Chat Completions or Anthropic Messages, so agentrace's
 * `usage: 'auto'` reads usage, response model, id and finish reason exactly as it would from the real SDKs.
 */
export type ResponseStyle = 'openai' | 'anthropic';

/** A fault the next call of a simulated provider runs into (queued with {@link SimulatedProvider.failNext}). */
export type SimulatedFault =
  /** HTTP 429 with `retry-after-ms` / `retry-after` headers, as OpenAI sends them. */
  | { readonly kind: 'rate_limit'; readonly retryAfterMs: number }
  /** HTTP 503: the provider is overloaded or down. */
  | { readonly kind: 'unavailable' }
  /** The call never answers; only the caller's timeout (its AbortSignal) ends it. */
  | { readonly kind: 'stall' };

/** One model call to a simulated provider. */
export interface SimulatedRequest {
  readonly model: string;
  /** The system prompt: stable across calls, so the provider "caches" it as a real one would. */
  readonly system: string;
  /** The rest of the prompt. */
  readonly prompt: string;
  /** Output tokens to produce, drawn by the provider within these bounds. */
  readonly outputTokens: readonly [min: number, max: number];
  readonly signal?: AbortSignal;
}

/** An OpenAI Chat Completions response, as far as the demo fills it in. */
export interface SimulatedChatCompletion {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly model: string;
  readonly choices: ReadonlyArray<{
    readonly index: number;
    readonly message: { readonly role: 'assistant'; readonly content: string };
    readonly finish_reason: 'stop';
  }>;
  readonly usage: {
    readonly prompt_tokens: number;
    readonly completion_tokens: number;
    readonly total_tokens: number;
    readonly prompt_tokens_details: { readonly cached_tokens: number };
  };
}

/** An Anthropic Messages response, as far as the demo fills it in. */
export interface SimulatedMessage {
  readonly id: string;
  readonly type: 'message';
  readonly role: 'assistant';
  readonly model: string;
  readonly content: ReadonlyArray<{ readonly type: 'text'; readonly text: string }>;
  readonly stop_reason: 'end_turn';
  readonly usage: {
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly cache_creation_input_tokens: number;
    readonly cache_read_input_tokens: number;
  };
}

/** What a simulated provider answers. */
export type SimulatedResponse = SimulatedChatCompletion | SimulatedMessage;

/** The text of a simulated response, whichever its style. */
export function responseText(response: SimulatedResponse): string {
  return 'choices' in response
    ? (response.choices[0]?.message.content ?? '')
    : (response.content[0]?.text ?? '');
}

/**
 * An HTTP error of a simulated provider, shaped like the OpenAI and Anthropic SDKs' `APIError` (`status`, `headers`,
 * `error.type`), so agentrace classifies it from those structured facts exactly as it would a real one.
 */
export class SimulatedApiError extends AgentraceError {
  static override readonly errorName: string = 'SimulatedApiError';
  /** HTTP status. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The provider's error body. */
  readonly error: { readonly type: string; readonly message: string };
  /** Which simulated provider answered. */
  readonly provider: string;

  constructor(init: {
    provider: string;
    status: number;
    type: string;
    message: string;
    headers?: Record<string, string>;
  }) {
    super(`${init.status} ${init.message} (${init.provider}, simulated)`);
    this.provider = init.provider;
    this.status = init.status;
    this.headers = Object.freeze({ ...init.headers });
    this.error = Object.freeze({ type: init.type, message: init.message });
  }
}

/** Options of a {@link SimulatedProvider}. */
export interface SimulatedProviderOptions {
  /** `gen_ai.provider.name` it reports under (`simulated.openai`). */
  readonly name: string;
  readonly style: ResponseStyle;
  /** Its own random stream (latency, tokens, text). */
  readonly random: SeededRandom;
  /** Simulated time, advanced by each call's latency. */
  readonly clock: SimulatedClock;
  /** Latency of a call in ms, drawn within these bounds (default 20–60). */
  readonly latencyMs?: readonly [min: number, max: number];
}

// What the real APIs report as the served model for an alias (their response.model).
const SNAPSHOTS: Readonly<Record<string, string>> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
};

const WORDS = [
  'breaker',
  'retry',
  'latency',
  'budget',
  'fallback',
  'provider',
  'tokens',
  'agent',
  'trace',
  'outage',
  'backoff',
  'quota',
  'handoff',
  'guardrail',
  'cost',
  'span',
] as const;

/** About four characters per token, as the providers' own rough guidance says. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * A stand-in for a model provider: **simulated**, nothing leaves the process. It answers in the real providers'
 * response shapes with made-up text and token counts (drawn from a seeded random stream), caches the system
 * prompt after its first use as the real ones do, and fails on purpose when a fault is queued.
 */
export class SimulatedProvider {
  readonly name: string;
  readonly style: ResponseStyle;
  readonly #random: SeededRandom;
  readonly #clock: SimulatedClock;
  readonly #latency: readonly [number, number];
  readonly #faults: SimulatedFault[] = [];
  readonly #cached = new Set<string>();
  #calls = 0;

  /** @throws {ValidationError} a bad option (the field is named). */
  constructor(options: SimulatedProviderOptions) {
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new ValidationError({ field: 'name', value: options?.name, expected: 'a provider name' });
    }
    if (options.style !== 'openai' && options.style !== 'anthropic') {
      throw new ValidationError({
        field: 'style',
        value: options.style,
        expected: "'openai' or 'anthropic'",
      });
    }
    const latency = options.latencyMs ?? [20, 60];
    if (!(latency[0] >= 0 && latency[1] >= latency[0])) {
      throw new ValidationError({
        field: 'latencyMs',
        value: latency,
        expected: '[min, max] with 0 ≤ min ≤ max',
      });
    }
    this.name = options.name;
    this.style = options.style;
    this.#random = options.random;
    this.#clock = options.clock;
    this.#latency = latency;
  }

  /** Calls made so far (failed ones included). */
  get calls(): number {
    return this.#calls;
  }

  /** Faults still queued. */
  get pendingFaults(): number {
    return this.#faults.length;
  }

  /** Queues a fault for the next call that has none queued before it. */
  failNext(fault: SimulatedFault): void {
    this.#faults.push(fault);
  }

  /**
   * One model call. Waits its simulated latency (abortably), then answers or fails with the queued fault.
   *
   * @throws {SimulatedApiError} a queued rate-limit or unavailable fault.
   * @throws the signal's reason when the call is aborted (a stall ends only that way).
   */
  async chat(request: SimulatedRequest): Promise<SimulatedResponse> {
    this.#calls += 1;
    const fault = this.#faults.shift();
    const signal = request.signal;
    if (fault?.kind === 'stall') {
      await new Promise<never>((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    // Draw every number before the wait, so an aborted call consumes the stream as a completed one would.
    const latency = this.#random.int(this.#latency[0], this.#latency[1]);
    const outputTokens = this.#random.int(request.outputTokens[0], request.outputTokens[1]);
    const text = Array.from({ length: 12 }, () => this.#random.pick(WORDS)).join(' ');
    const id = Math.floor(this.#random.next() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
    await sleep(latency, undefined, signal ? { signal } : {}).catch((err: unknown) => {
      throw signal?.aborted ? signal.reason : err;
    });
    this.#clock.advance(latency);
    if (fault?.kind === 'rate_limit') {
      throw new SimulatedApiError({
        provider: this.name,
        status: 429,
        type: 'rate_limit_error',
        message: 'Too Many Requests: rate limit reached for requests per minute',
        headers: {
          'retry-after-ms': String(fault.retryAfterMs),
          'retry-after': String(Math.max(1, Math.ceil(fault.retryAfterMs / 1000))),
        },
      });
    }
    if (fault?.kind === 'unavailable') {
      throw new SimulatedApiError({
        provider: this.name,
        status: 503,
        type: 'overloaded_error',
        message: 'Service Unavailable: the engine is currently overloaded',
      });
    }
    const systemTokens = estimateTokens(request.system);
    const promptTokens = estimateTokens(request.prompt);
    const cacheHit = this.#cached.has(request.system);
    this.#cached.add(request.system);
    const model = SNAPSHOTS[request.model] ?? request.model;
    if (this.style === 'openai') {
      // OpenAI counts cached tokens inside prompt_tokens and caches automatically, with no write charge.
      const promptTotal = systemTokens + promptTokens;
      return {
        id: `chatcmpl-sim${id}`,
        object: 'chat.completion',
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: promptTotal,
          completion_tokens: outputTokens,
          total_tokens: promptTotal + outputTokens,
          prompt_tokens_details: { cached_tokens: cacheHit ? systemTokens : 0 },
        },
      };
    }
    // Anthropic reports cache writes and reads beside input_tokens, which excludes them.
    return {
      id: `msg_sim${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      usage: {
        input_tokens: promptTokens,
        output_tokens: outputTokens,
        cache_creation_input_tokens: cacheHit ? 0 : systemTokens,
        cache_read_input_tokens: cacheHit ? systemTokens : 0,
      },
    };
  }
}
