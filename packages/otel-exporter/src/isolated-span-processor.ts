import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { settle } from './export-guard.js';

/**
 * A user's span processor, isolated from the app and from the other processors.
 *
 * The SDK calls its processors in a row with no isolation: a processor whose `onStart` throws makes the tracer's
 * `startSpan` throw (so the span is never created, for any processor), one whose `onEnd` throws keeps every
 * processor after it from seeing the span, and a `forceFlush`/`shutdown` that throws synchronously makes the
 * provider's flush or shutdown throw. Here each call is caught and reported once per kind through `warn`;
 * `forceFlush` and `shutdown` always return a promise that never rejects. (One that never settles is bounded by
 * the telemetry handle's deadline.)
 */
export class IsolatedSpanProcessor implements SpanProcessor {
  readonly #inner: SpanProcessor;
  readonly #warn: (message: string) => void;
  readonly #reported = new Set<string>();

  constructor(inner: SpanProcessor, warn: (message: string) => void) {
    this.#inner = inner;
    this.#warn = warn;
  }

  onStart(span: Span, parentContext: Context): void {
    try {
      this.#inner.onStart(span, parentContext);
    } catch (err) {
      this.#report('onStart', err);
    }
  }

  onEnding(span: Span): void {
    try {
      this.#inner.onEnding?.(span);
    } catch (err) {
      this.#report('onEnding', err);
    }
  }

  onEnd(span: ReadableSpan): void {
    try {
      this.#inner.onEnd(span);
    } catch (err) {
      this.#report('onEnd', err);
    }
  }

  forceFlush(): Promise<void> {
    return this.#settled('forceFlush', () => this.#inner.forceFlush());
  }

  shutdown(): Promise<void> {
    return this.#settled('shutdown', () => this.#inner.shutdown());
  }

  #settled(what: string, call: () => Promise<void>): Promise<void> {
    try {
      return settle(call());
    } catch (err) {
      this.#report(what, err);
      return Promise.resolve();
    }
  }

  #report(what: string, err: unknown): void {
    if (this.#reported.has(what)) return;
    this.#reported.add(what);
    const reason = err instanceof Error ? err.message : String(err);
    this.#warn(
      `agentrace: a span processor (${this.#inner.constructor?.name ?? 'unknown'}) threw in ${what}: ${reason}; ` +
        'the app and the other processors are unaffected (reported once)',
    );
  }
}
