import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';
import { buildSampler, DEFAULT_SAMPLER } from './sampler.js';

/**
 * A user's sampler whose failures fall back to the default sampler (`parentbased_always_on`).
 *
 * The SDK asks the sampler inside `startSpan` without a guard: a sampler that throws makes every span fail to
 * start, so one bug in it would silence all tracing. Here a throw is reported once through `warn` and that span
 * is sampled as it would be with no sampler configured; the next span asks the user's sampler again.
 */
export class IsolatedSampler implements Sampler {
  readonly #inner: Sampler;
  readonly #fallback = buildSampler(DEFAULT_SAMPLER, 1);
  readonly #warn: (message: string) => void;
  #reported = false;

  constructor(inner: Sampler, warn: (message: string) => void) {
    this.#inner = inner;
    this.#warn = warn;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    try {
      return this.#inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    } catch (err) {
      if (!this.#reported) {
        this.#reported = true;
        const reason = err instanceof Error ? err.message : String(err);
        this.#warn(
          `agentrace: the sampler (${this.toString()}) threw: ${reason}; spans it fails on are sampled as with ` +
            `${DEFAULT_SAMPLER} (reported once)`,
        );
      }
      return this.#fallback.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    }
  }

  toString(): string {
    try {
      return String(this.#inner.toString());
    } catch {
      return 'a custom sampler';
    }
  }
}
