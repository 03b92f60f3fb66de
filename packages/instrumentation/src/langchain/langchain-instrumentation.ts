import { AsyncLocalStorage } from 'node:async_hooks';
import { VERSION } from '@agentrace/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { ContextStorage } from '../frameworks/bridged-storage.js';
import { forwardingTracerProvider } from '../frameworks/forwarding-tracer.js';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { AgentraceCallbackHandler, type LangChainHandlerOptions } from './handler.js';
import { AGENTRACE_HANDLER_NAME } from './handler-name.js';

/** The `@langchain/core` versions the LangChain instrumentation supports. */
export const LANGCHAIN_CORE_SUPPORTED_VERSIONS = '>=1.0.0 <2';

/** Configuration of {@link LangChainInstrumentation}: the usual `enabled` and the handler's options. */
export interface LangChainInstrumentationConfig extends InstrumentationConfig, LangChainHandlerOptions {}

/** Where `@langchain/core` keeps its async local storage (its `singletons/async_local_storage/globals`). */
const LC_STORAGE_SYMBOL = Symbol.for('ls:tracing_async_local_storage');
const PATCHED = Symbol.for('agentrace.langchain.patched');
const BRIDGED = Symbol.for('agentrace.langchain.bridged');

// The callback manager's module, in the ESM and the CommonJS build of @langchain/core 1.x.
const MANAGER_FILES = ['dist/callbacks/manager.js', 'dist/callbacks/manager.cjs'];

type Handler = { readonly name: string };
interface ManagerLike {
  handlers: Handler[];
  addHandler(handler: Handler, inherit?: boolean): void;
}
type Configure = (this: unknown, ...args: unknown[]) => ManagerLike | undefined;
interface ManagerModule {
  CallbackManager?: (new () => ManagerLike) & { _configureSync?: Configure; [PATCHED]?: Configure };
}

// Kept outside the instance: the base constructor runs `init` before subclass fields exist.
const handlers = new WeakMap<LangChainInstrumentation, AgentraceCallbackHandler>();
const enabled = new WeakSet<LangChainInstrumentation>();

/**
 * OpenTelemetry instrumentation that traces every LangChain.js / LangGraph.js run of an unchanged app: when
 * `@langchain/core`'s callback manager loads (ESM or CommonJS), it patches `CallbackManager._configureSync`,
 * through which every run's callbacks are set up, to add agentrace's handler as an inheritable handler (once:
 * a manager that holds it, or a handler named `agentrace` the app passed, is left as is), and bridges
 * LangChain's context storage with OpenTelemetry's. The handler records what `AgentraceCallbackHandler`
 * records. This is what `@agentrace/instrumentation/register` enables as `langchain`.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { LangChainInstrumentation } from '@agentrace/instrumentation';
 * registerInstrumentations({ instrumentations: [new LangChainInstrumentation()] });
 * ```
 */
export class LangChainInstrumentation extends InstrumentationBase<LangChainInstrumentationConfig> {
  constructor(config: LangChainInstrumentationConfig = {}) {
    super(`${INSTRUMENTATION_PACKAGE_NAME}/langchain`, VERSION, config);
  }

  /** The handler it adds to every run's callbacks. */
  get handler(): AgentraceCallbackHandler {
    let handler = handlers.get(this);
    if (!handler) {
      const { enabled: _enabled, ...options } = this.getConfig();
      handler = new AgentraceCallbackHandler({
        ...options,
        tracerProvider: options.tracerProvider ?? forwardingTracerProvider(() => this.tracer),
      });
      handlers.set(this, handler);
    }
    return handler;
  }

  /** Patches a loaded `@langchain/core/callbacks/manager` module (what the module hooks call). */
  patchManager(exports: unknown): void {
    const mod = exports as ManagerModule | undefined;
    const cm = mod?.CallbackManager;
    const original = cm?._configureSync;
    if (!cm || typeof original !== 'function' || cm[PATCHED]) return;
    const handler = this.handler;
    const instrumentation = this;
    const configure: Configure = function (this: unknown, ...args: unknown[]) {
      let manager = original.apply(this, args);
      try {
        if (!enabled.has(instrumentation)) return manager;
        manager ??= new cm();
        if (!manager.handlers.some((h) => h?.name === AGENTRACE_HANDLER_NAME))
          manager.addHandler(handler, true);
      } catch (err) {
        instrumentation._diag.warn('adding the agentrace handler failed; the run is untraced', err);
      }
      return manager;
    };
    cm._configureSync = configure;
    Object.defineProperty(cm, PATCHED, { value: original, configurable: true });
    this.#bridgeStorage();
  }

  /** Restores a module {@link patchManager} patched. */
  unpatchManager(exports: unknown): void {
    const cm = (exports as ManagerModule | undefined)?.CallbackManager;
    const original = cm?.[PATCHED];
    if (!cm || !original) return;
    cm._configureSync = original;
    delete cm[PATCHED];
  }

  override enable(): void {
    enabled.add(this);
    super.enable();
  }

  override disable(): void {
    enabled.delete(this);
    super.disable();
  }

  #bridgeStorage(): void {
    const holder = globalThis as Record<symbol, unknown>;
    const existing = holder[LC_STORAGE_SYMBOL] as
      | (ContextStorage<Record<PropertyKey, unknown>> & object)
      | undefined;
    if (existing && (existing as Record<symbol, unknown>)[BRIDGED]) return;
    // LangChain keeps a storage already there (it only fills an empty slot).
    const storage = this.handler.contextStorage(
      existing ?? new AsyncLocalStorage<Record<PropertyKey, unknown>>(),
    );
    Object.defineProperty(storage, BRIDGED, { value: true });
    holder[LC_STORAGE_SYMBOL] = storage;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const files = MANAGER_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          `@langchain/core/${file}`,
          [LANGCHAIN_CORE_SUPPORTED_VERSIONS],
          (exports: unknown) => {
            try {
              this.patchManager(exports);
            } catch (err) {
              this._diag.warn('@langchain/core could not be instrumented; it runs untraced', err);
            }
            return exports;
          },
          (exports: unknown) => this.unpatchManager(exports),
        ),
    );
    return [
      new InstrumentationNodeModuleDefinition(
        '@langchain/core',
        [LANGCHAIN_CORE_SUPPORTED_VERSIONS],
        undefined,
        undefined,
        files,
      ),
    ];
  }
}
