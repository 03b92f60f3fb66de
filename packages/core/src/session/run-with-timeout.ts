import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';

/**
 * The cancellation scope of one model call: its own AbortController, aborted when the parent signal (the turn's,
 * the session's) aborts. The link is kept until {@link CallScope.release} — for a streamed result, until the stream
 * ends — so a cancelled session still stops a stream in flight, and released afterwards so a long session does not
 * accumulate listeners on its signal.
 */
export class CallScope {
  readonly controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  #onAbort: ((reason: unknown) => void) | undefined;
  #released = false;

  constructor(parent?: AbortSignal) {
    this.#parent = parent;
    if (!parent) return;
    if (parent.aborted) {
      this.controller.abort(parent.reason);
      return;
    }
    // One listener per parent signal fanning out to its live scopes: adding and removing an EventTarget listener
    // per call is a measurable share of a turn (bench/RESULTS.md), a Set insert is not.
    let scopes = liveScopes.get(parent);
    if (!scopes) {
      const set = new Set<CallScope>();
      scopes = set;
      liveScopes.set(parent, set);
      parent.addEventListener(
        'abort',
        () => {
          for (const scope of set) scope.abort(parent.reason);
          set.clear();
        },
        { once: true },
      );
    }
    scopes.add(this);
  }

  /** The call's signal, handed to the work. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the call with `reason` (its signal, and a pending {@link runWithTimeout}). */
  abort(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.#onAbort?.(reason);
  }

  /** @internal Lets {@link runWithTimeout} settle as soon as the scope aborts, without a listener on its signal. */
  set onAbort(callback: ((reason: unknown) => void) | undefined) {
    this.#onAbort = callback;
  }

  /** Unlinks from the parent signal (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#parent) liveScopes.get(this.#parent)?.delete(this);
  }
}

const liveScopes = new WeakMap<AbortSignal, Set<CallScope>>();

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
    // Settling twice is a no-op, so without a timer nothing needs undoing when `fn` settles: the scope is
    // released by its owner and an abort after that rejects a promise already settled.
    scope.onAbort = reject;
    let settle = resolve;
    let fail = reject;
    if (timeoutMs !== undefined) {
      const timer = setTimeout(() => scope.abort(new TurnTimeoutError(timeoutMs)), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        scope.onAbort = undefined;
      };
      settle = (value) => {
        cleanup();
        resolve(value);
      };
      fail = (err: unknown) => {
        cleanup();
        reject(err);
      };
      // Cancelled from outside (the session, the caller) before the timer: the timer must not outlive the call.
      scope.onAbort = fail;
    }
    let pending: PromiseLike<T> | T;
    try {
      pending = fn(signal);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(pending).then(settle, fail);
  });
}
