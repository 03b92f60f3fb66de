import { VERSION } from '@agentrace/core';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import {
  type ClientInstrumentationOptions,
  guarded,
  type ResolvedClientOptions,
  resolveClientOptions,
  validateClientOptions,
} from '../clients/client-call.js';
import { satisfiesMajorRange } from '../clients/version-range.js';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { chainHasAgentrace, isOfficialWrapper, unwrapOwn, wrapOver } from './official-coexistence.js';
import { type ClientMethod, type OpenAITracing, wrapCreate } from './patch-openai.js';
import { OpenAIOperation } from './request-attributes.js';

/** The `openai` versions {@link OpenAIInstrumentation} patches (tested at both ends). */
export const OPENAI_SUPPORTED_VERSIONS = '>=4.0.0 <8';

/** Configuration of {@link OpenAIInstrumentation}. */
export interface OpenAIInstrumentationConfig extends InstrumentationConfig, ClientInstrumentationOptions {}

interface ResourceClass {
  prototype?: Record<string, unknown>;
}
interface OpenAIClass {
  Chat?: { Completions?: ResourceClass };
  Responses?: ResourceClass;
  Embeddings?: ResourceClass;
}

// [prototype, method, operation] triples, reached through the client class's static members (the same in
// every build, CJS and ESM, 4.x to 7.x). `chat.completions.parse` (5.x on) and `responses.parse` are one span
// of their own: the `create` each calls inside stays silent. 4.x's `beta.chat.completions.parse` is reached
// by no static member; it calls the patched `chat.completions.create`, which records it.
function targets(exports: unknown): [Record<string, unknown> | undefined, string, OpenAIOperation][] {
  const e = exports as { OpenAI?: OpenAIClass; default?: OpenAIClass } | undefined;
  const cls = (e?.OpenAI ?? e?.default ?? e) as OpenAIClass | undefined;
  return [
    [cls?.Chat?.Completions?.prototype, 'create', OpenAIOperation.CHAT],
    [cls?.Chat?.Completions?.prototype, 'parse', OpenAIOperation.CHAT],
    [cls?.Responses?.prototype, 'create', OpenAIOperation.CHAT],
    [cls?.Responses?.prototype, 'parse', OpenAIOperation.CHAT],
    [cls?.Embeddings?.prototype, 'create', OpenAIOperation.EMBEDDINGS],
  ];
}

/**
 * OpenTelemetry instrumentation of the official `openai` client (4.x to 7.x): one `chat {model}` (or
 * `embeddings {model}`) CLIENT span per `chat.completions.create` / `.parse`, `responses.create` / `.parse`
 * and `embeddings.create` call, plain or streamed, with usage and USD cost read by core's adapters and the
 * GenAI metrics a `runTurn` turn records. A call made inside another recorded model call (an agentrace turn,
 * another instrumentation of ours) is left to that one.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { OpenAIInstrumentation } from '@agentrace/instrumentation/openai';
 * registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });
 * ```
 */
export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  constructor(config: OpenAIInstrumentationConfig = {}) {
    validateClientOptions(config);
    super(`${INSTRUMENTATION_PACKAGE_NAME}/openai`, VERSION, config);
  }

  /** What the patched client asks of this instrumentation, read at each call. */
  get #tracing(): OpenAITracing {
    const self = this;
    return {
      get tracer() {
        return self.tracer;
      },
      get meter() {
        return self.meter;
      },
      get enabled() {
        return self.isEnabled();
      },
      get options(): ResolvedClientOptions {
        return resolveClientOptions(self.getConfig());
      },
    };
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    // Every version reaches the hook; an unsupported one is left as it is, with one warning.
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        ['*'],
        (exports: unknown, version?: string) => {
          if (version !== undefined && !satisfiesMajorRange(version, OPENAI_SUPPORTED_VERSIONS)) {
            warnUnsupported(version);
            return exports;
          }
          this.#patch(exports, version);
          return exports;
        },
        (exports: unknown) => {
          // Only agentrace's own wrapper: an official one beneath it stays.
          for (const [proto, method] of targets(exports)) if (proto) unwrapOwn(proto, method);
        },
      ),
    ];
  }

  #patch(exports: unknown, version: string | undefined): void {
    const tracing = this.#tracing;
    let patched = 0;
    for (const [proto, method, op] of targets(exports)) {
      if (!proto || typeof proto[method] !== 'function') continue;
      patched++;
      // Patching twice is harmless; an official wrapper already there is wrapped over and called past.
      if (chainHasAgentrace(proto[method])) continue;
      this.#wrap(tracing, proto, method, op);
      // The official instrumentation enabled after agentrace unwraps it and wraps the method in the same
      // synchronous require/import dispatch: once that is done, agentrace wraps over it (official-coexistence.ts).
      queueMicrotask(() =>
        guarded('openai rewrap', () => {
          if (this.isEnabled() && isOfficialWrapper(proto[method]) && !chainHasAgentrace(proto[method]))
            this.#wrap(tracing, proto, method, op);
        }),
      );
    }
    if (patched === 0)
      diag.warn(`agentrace: openai ${version ?? '?'} has no resource it can patch; left as is`);
  }

  #wrap(tracing: OpenAITracing, proto: Record<string, unknown>, method: string, op: OpenAIOperation): void {
    wrapOver(proto, method, (original) => wrapCreate(tracing, original as ClientMethod, op));
  }
}

let warned = false;
function warnUnsupported(version: string): void {
  if (warned) return;
  warned = true;
  diag.warn(
    `agentrace: openai ${version} is outside the supported range ${OPENAI_SUPPORTED_VERSIONS}; left unpatched`,
  );
}
