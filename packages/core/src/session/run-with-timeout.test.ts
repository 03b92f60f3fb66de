import { afterEach, describe, expect, it, vi } from 'vitest';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { CallScope, runWithTimeout } from './run-with-timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A promise the test settles by hand, standing in for a model call. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('runWithTimeout', () => {
  it('settles with the work, hands it the scope signal, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const scope = new CallScope();
    const call = deferred<string>();
    let seen: AbortSignal | undefined;
    const result = runWithTimeout(
      (signal) => {
        seen = signal;
        return call.promise;
      },
      scope,
      5000,
    );
    expect(seen).toBe(scope.signal);
    expect(vi.getTimerCount()).toBe(1);
    call.resolve('done');
    await expect(result).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out with a TurnTimeoutError and aborts the work with it, even if the work ignores its signal', async () => {
    vi.useFakeTimers();
    const scope = new CallScope();
    const call = deferred<string>();
    const result = runWithTimeout(() => call.promise, scope, 100);
    const outcome = result.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const err = await outcome;
    expect(TurnTimeoutError.isInstance(err) && err.timeoutMs).toBe(100);
    expect(scope.signal.reason).toBe(err);
    // What the work settles with afterwards is dropped, and its rejection is not left unhandled.
    call.reject(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
  });

  it('rejects at once when the parent aborts first, and clears its timer', async () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const scope = new CallScope(parent.signal);
    const result = runWithTimeout(() => new Promise<never>(() => {}), scope, 60_000);
    const outcome = result.catch((e: unknown) => e);
    const reason = new Error('session cancelled');
    parent.abort(reason);
    expect(await outcome).toBe(reason);
    expect(scope.signal.aborted).toBe(true);
    // A pending timer would keep the process alive for the rest of the minute.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with what the work throws synchronously, and clears its timer', async () => {
    vi.useFakeTimers();
    const boom = new Error('bad request');
    const result = runWithTimeout(
      () => {
        throw boom;
      },
      new CallScope(),
      1000,
    );
    await expect(result).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not run the work when the scope is already aborted', async () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const work = vi.fn();
    await expect(runWithTimeout(work, new CallScope(parent.signal))).rejects.toThrow('gone');
    expect(work).not.toHaveBeenCalled();
  });

  it('without a timeout, settles with the work or with the parent abort, whichever comes first', async () => {
    const parent = new AbortController();
    const scope = new CallScope(parent.signal);
    await expect(runWithTimeout(() => 42, scope)).resolves.toBe(42);
    const hanging = runWithTimeout(() => new Promise<never>(() => {}), new CallScope(parent.signal));
    parent.abort(new Error('stop'));
    await expect(hanging).rejects.toThrow('stop');
  });
});
