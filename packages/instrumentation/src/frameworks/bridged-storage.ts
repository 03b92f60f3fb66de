import { type Context, context } from '@opentelemetry/api';

/** The AsyncLocalStorage subset agent frameworks keep their current span or run in. */
export interface ContextStorage<T = unknown> {
  run<R>(store: T, callback: () => R): R;
  getStore(): T | undefined;
  enterWith(store: T): void;
}

/**
 * An OpenTelemetry context whose active span follows the framework's current span: every lookup asks
 * `resolve` for the context of the framework span current at that moment (the framework moves it with
 * `enterWith`, which OpenTelemetry's API cannot follow), and falls back to the context it was made in.
 * This is what makes spans of other instrumentations (HTTP, databases, model clients) started inside a tool
 * nest under that tool's span.
 */
class FollowingContext implements Context {
  readonly #base: Context;
  readonly #resolve: () => Context | undefined;
  readonly bridge: object;

  constructor(base: Context, resolve: () => Context | undefined, bridge: object) {
    this.#base = base;
    this.#resolve = resolve;
    this.bridge = bridge;
  }

  #current(): Context {
    let resolved: Context | undefined;
    try {
      resolved = this.#resolve();
    } catch {
      resolved = undefined;
    }
    return resolved ?? this.#base;
  }

  getValue(key: symbol): unknown {
    return this.#current().getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.#current().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.#current().deleteValue(key);
  }
}

/**
 * Wraps a framework's context storage so that each scope it runs also runs in a {@link FollowingContext}.
 * `resolve(store)` maps the framework's store (its current span or run) to the OpenTelemetry context of the
 * span agentrace made for it, or undefined when there is none.
 */
export function bridgeStorage<T>(
  inner: ContextStorage<T>,
  resolve: (store: T | undefined) => Context | undefined,
): ContextStorage<T> & { readonly inner: ContextStorage<T> } {
  const bridge = {};
  const current = () => resolve(inner.getStore());
  return {
    inner,
    run<R>(store: T, callback: () => R): R {
      const active = context.active();
      // One following context per framework run is enough: it resolves on every lookup.
      if (active instanceof FollowingContext && active.bridge === bridge) return inner.run(store, callback);
      return context.with(new FollowingContext(active, current, bridge), () => inner.run(store, callback));
    },
    getStore: () => inner.getStore(),
    enterWith: (store: T) => inner.enterWith(store),
  };
}
