import { diag, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { ATTR_AGENTRACE_FRAMEWORK_ABANDONED, ERROR_TYPE_VALUE_ABANDONED } from './attributes.js';

/** Default time after which a span the framework never ended is ended by agentrace: 15 minutes. */
export const DEFAULT_SPAN_TIMEOUT_MS = 15 * 60_000;
/** Default bound on spans open at once per processor or handler. */
export const DEFAULT_MAX_OPEN_SPANS = 10_000;

/** What the table needs to end an entry on its own. */
export interface OpenEntry {
  readonly span: Span;
  readonly startedAtMs: number;
}

/** Options of an {@link OpenSpans} table. */
export interface OpenSpansOptions {
  /** Milliseconds after which an entry still open is ended and marked abandoned. */
  timeoutMs?: number;
  /** Entries kept at most; past it the oldest is ended and marked abandoned. */
  maxOpen?: number;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
  /** Start the periodic sweep (default true; tests call {@link OpenSpans.sweep} themselves). */
  timer?: boolean;
  /** Called for each entry ended by the sweep or the bound, after its span ended. */
  onAbandon?: (key: string, entry: OpenEntry) => void;
}

/**
 * The spans a framework started and has not ended yet, keyed by the framework's id, bounded in count and in
 * age: a run that never ends its spans (a crashed stream, a dropped callback) cannot grow memory without end.
 */
export class OpenSpans<E extends OpenEntry> {
  readonly #entries = new Map<string, E>();
  readonly #timeoutMs: number;
  readonly #maxOpen: number;
  readonly #onAbandon: ((key: string, entry: OpenEntry) => void) | undefined;
  readonly now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: OpenSpansOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SPAN_TIMEOUT_MS;
    this.#maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN_SPANS;
    this.#onAbandon = options.onAbandon;
    this.now = options.now ?? (() => performance.now());
    if (options.timer !== false) {
      this.#timer = setInterval(() => this.sweep(), Math.min(this.#timeoutMs, 60_000));
      // The sweep must never keep a process alive.
      this.#timer.unref?.();
    }
  }

  /** Spans open now. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): E | undefined {
    return this.#entries.get(key);
  }

  set(key: string, entry: E): void {
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxOpen) {
      const oldest = this.#entries.keys().next().value as string;
      this.#abandon(oldest);
    }
  }

  /** Removes and returns an entry (the caller ends its span). */
  take(key: string): E | undefined {
    const entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    return entry;
  }

  /** Ends and marks every entry older than the timeout. */
  sweep(): number {
    const cutoff = this.now() - this.#timeoutMs;
    let ended = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.startedAtMs > cutoff) continue;
      this.#abandon(key);
      ended++;
    }
    return ended;
  }

  /** Ends every open entry as abandoned (shutdown). */
  endAll(): void {
    for (const key of [...this.#entries.keys()]) this.#abandon(key);
  }

  /** Stops the sweep timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #abandon(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    try {
      entry.span.setAttribute(ATTR_AGENTRACE_FRAMEWORK_ABANDONED, true);
      entry.span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_ABANDONED);
      entry.span.end();
      this.#onAbandon?.(key, entry);
    } catch (err) {
      diag.warn('agentrace: ending an abandoned framework span failed', err);
    }
  }
}
