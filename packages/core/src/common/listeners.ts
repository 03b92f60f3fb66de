import { diag } from '@opentelemetry/api';
import { catchAsyncFailure } from './async-failure.js';

/** Stops a subscription. Also usable with `using` where the runtime supports explicit resource management. */
export interface Disposable {
  dispose(): void;
}

/**
 * A typed event: call it with a listener to subscribe; it returns a {@link Disposable} that unsubscribes.
 *
 * @example
 * ```ts
 * const sub = breaker.onStateChange(({ from, to }) => console.log(`${from} -> ${to}`));
 * sub.dispose();
 * ```
 */
export type Listener<T> = (listener: (value: T) => void) => Disposable;

const warnListener = (err: unknown) => diag.warn('agentrace: an event listener threw; ignoring it', err);

/**
 * Holds the listeners of one typed event. A listener that throws is reported through the OpenTelemetry
 * `diag` logger and never breaks the code that fired the event, nor the other listeners.
 */
export class Emitter<T> {
  readonly #listeners = new Set<(value: T) => void>();

  /** The subscribe function handed out to users. */
  readonly event: Listener<T> = (listener) => {
    // Wrap so that subscribing the same function twice gives two independent subscriptions.
    const entry = (value: T) => listener(value);
    this.#listeners.add(entry);
    return { dispose: () => void this.#listeners.delete(entry) };
  };

  /** Whether anyone listens (lets callers skip building a payload nobody reads). */
  get hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  /** Calls every listener with `value`, isolating failures. */
  emit(value: T): void {
    for (const listener of this.#listeners) {
      try {
        catchAsyncFailure(listener(value), warnListener);
      } catch (err) {
        warnListener(err);
      }
    }
  }
}
