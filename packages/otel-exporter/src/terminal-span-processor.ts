import { semconv as sc } from '@agentrace/core';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DroppedTelemetry } from './dropped-telemetry.js';
import type { TerminalOutput } from './telemetry-options.js';
import type { Style } from './terminal-style.js';
import { renderTraceTree } from './trace-tree.js';

/** Options of {@link TerminalSpanProcessor}. */
export interface TerminalSpanProcessorOptions {
  readonly output: TerminalOutput;
  readonly style: Style;
  readonly dropped: DroppedTelemetry;
  /** Most spans held while their traces' roots are still running; the oldest trace is dropped beyond it. Default 10000. */
  readonly maxBufferedSpans?: number;
  /** Most entries shown under one span. Default 60. */
  readonly maxChildren?: number;
}

const DEFAULT_MAX_BUFFERED_SPANS = 10_000;
/** Agent span names remembered so a later handoff can name its source (its span has been printed already). */
const REMEMBERED_NAMES = 1000;

/**
 * Prints each trace as a tree when its local root span ends (the terminal view used when no collector is
 * configured). Spans wait in a bounded buffer until their root ends; a trace whose root never ends cannot hold
 * memory forever: beyond the bound the oldest trace is dropped (and counted), and what is left at shutdown is
 * printed marked incomplete.
 */
export class TerminalSpanProcessor implements SpanProcessor {
  readonly #opts: TerminalSpanProcessorOptions;
  readonly #maxBuffered: number;
  /** Pending spans by trace id, oldest trace first (Map keeps insertion order). */
  readonly #traces = new Map<string, ReadableSpan[]>();
  readonly #names = new Map<string, string>();
  #buffered = 0;
  #closed = false;

  constructor(opts: TerminalSpanProcessorOptions) {
    this.#opts = opts;
    this.#maxBuffered = Math.max(1, opts.maxBufferedSpans ?? DEFAULT_MAX_BUFFERED_SPANS);
  }

  /** Spans waiting for their root to end. */
  get buffered(): number {
    return this.#buffered;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#closed) {
      this.#opts.dropped.spans(1, 'a span ended after telemetry shut down (terminal view)');
      return;
    }
    this.#remember(span);
    const traceId = span.spanContext().traceId;
    const isLocalRoot = span.parentSpanContext === undefined || span.parentSpanContext.isRemote === true;
    if (!isLocalRoot) {
      let pending = this.#traces.get(traceId);
      if (!pending) {
        pending = [];
        this.#traces.set(traceId, pending);
      }
      pending.push(span);
      this.#buffered += 1;
      this.#evictBeyondBound();
      return;
    }
    const pending = this.#traces.get(traceId) ?? [];
    this.#traces.delete(traceId);
    this.#buffered -= pending.length;
    this.#print([...pending, span], false);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Prints what is still buffered, marked incomplete, and stops. */
  shutdown(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const spans of this.#traces.values()) this.#print(spans, true);
    this.#traces.clear();
    this.#buffered = 0;
    return Promise.resolve();
  }

  #evictBeyondBound(): void {
    while (this.#buffered > this.#maxBuffered) {
      const oldest = this.#traces.entries().next().value as [string, ReadableSpan[]];
      this.#traces.delete(oldest[0]);
      this.#buffered -= oldest[1].length;
      this.#opts.dropped.spans(
        oldest[1].length,
        `the terminal view holds at most ${this.#maxBuffered} spans of unfinished traces`,
      );
    }
  }

  #remember(span: ReadableSpan): void {
    const op = span.attributes[sc.ATTR_GEN_AI_OPERATION_NAME];
    if (op !== sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT) return;
    this.#names.set(span.spanContext().spanId, span.name);
    if (this.#names.size > REMEMBERED_NAMES) {
      this.#names.delete(this.#names.keys().next().value as string);
    }
  }

  #print(spans: ReadableSpan[], incomplete: boolean): void {
    try {
      const text = renderTraceTree(spans, {
        style: this.#opts.style,
        spanName: (id) => this.#names.get(id),
        incomplete,
        ...(this.#opts.maxChildren !== undefined && { maxChildren: this.#opts.maxChildren }),
      });
      if (text) this.#opts.output.write(`\n${text}`);
    } catch {
      // The terminal view is a convenience: a stream that throws must never reach the code that ended the span.
    }
  }
}
