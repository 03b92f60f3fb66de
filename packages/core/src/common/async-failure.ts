/**
 * @internal Hands the rejection of a user callback's returned promise to `onError`. Sinks and listeners are typed
 * as returning nothing, but an `async` function fits that type: without this, its rejection would surface as an
 * unhandled rejection (which crashes a Node process by default). A promise that never settles costs nothing here.
 */
export function catchAsyncFailure(returned: unknown, onError: (err: unknown) => void): void {
  if (returned === undefined || returned === null) return;
  // A getter named `then` may itself throw; reading it must not break the caller either.
  try {
    const then = (returned as { then?: unknown }).then;
    if (typeof then === 'function') then.call(returned, undefined, onError);
  } catch (err) {
    onError(err);
  }
}
