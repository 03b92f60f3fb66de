import { TurnTimeoutError } from './session-errors.js';

/** Options of {@link runWithTimeout}. */
export interface RunWithTimeoutOptions {
  /** Milliseconds before the work is abandoned with a {@link TurnTimeoutError}; none when undefined. */
  timeoutMs?: number | undefined;
  /** The caller's cancellation; the work's own signal aborts with its reason. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `fn` with a signal of its own that aborts when the caller's signal does or when the timeout elapses
 * (with a {@link TurnTimeoutError} as the reason). The returned promise settles as soon as either happens,
 * even if `fn` ignores its signal; what `fn` settles with afterwards is dropped (its rejection is observed so it
 * never becomes an unhandled rejection).
 *
 * @throws {TurnTimeoutError} when the timeout elapses first.
 * @throws the caller's abort reason when the caller's signal aborts first.
 */
export function runWithTimeout<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  opts: RunWithTimeoutOptions = {},
): Promise<T> {
  const { timeoutMs, signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      cleanup();
      controller.abort(signal?.reason);
      reject(signal?.reason);
    };
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const err = new TurnTimeoutError(timeoutMs);
        cleanup();
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    }
    let pending: PromiseLike<T> | T;
    try {
      pending = fn(controller.signal);
    } catch (err) {
      cleanup();
      reject(err);
      return;
    }
    Promise.resolve(pending).then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err: unknown) => {
        cleanup();
        reject(err);
      },
    );
  });
}
