import { TurnTimeoutError } from './session-errors.js';

/**
 * The cancellation scope of one model call: its own AbortController, aborted when the parent signal (the turn's,
 * the session's) aborts. The link is kept until {@link CallScope.release} — for a streamed result, until the stream
 * ends — so a cancelled session still stops a stream in flight, and released afterwards so a long session does not
 * accumulate listeners on its signal.
 */
export class CallScope {
  readonly controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #onAbort = () => this.controller.abort(this.#parent?.reason);
  #released = false;

  constructor(parent?: AbortSignal) {
    this.#parent = parent;
    if (!parent) return;
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The call's signal, handed to the work. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Unlinks from the parent signal (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#parent?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * Runs `fn` with the scope's signal. The scope is aborted with a {@link TurnTimeoutError} when `timeoutMs` elapses
 * before `fn` settles; the returned promise settles as soon as the scope aborts (timeout or the parent's
 * cancellation), even if `fn` ignores its signal. What `fn` settles with afterwards is dropped (its rejection is
 * observed so it never becomes an unhandled rejection).
 *
 * @throws {TurnTimeoutError} when the timeout elapses first.
 * @throws the parent's abort reason when it aborts first.
 */
export function runWithTimeout<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  scope: CallScope,
  timeoutMs?: number,
): Promise<T> {
  const { signal } = scope;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => scope.controller.abort(new TurnTimeoutError(timeoutMs)), timeoutMs);
    }
    let pending: PromiseLike<T> | T;
    try {
      pending = fn(signal);
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
