import { VERSION } from '@agentrace/core';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  type ClientInstrumentationOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
  validateClientOptions,
} from '../clients/client-call.js';
import { satisfiesMajorRange } from '../clients/version-range.js';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { type ModelsTracing, type SdkMethod, tracedGenerate } from './trace-models.js';

/** The `@google/genai` versions {@link GoogleGenAIInstrumentation} patches. */
export const GOOGLE_GENAI_SUPPORTED_VERSIONS = '>=1.0.0 <4';

const SDK = '@google/genai';
// `generateContent` and `generateContentStream` are instance arrow functions, out of a prototype's reach; both
// send each request through these prototype methods (once per round of automatic function calling).
const METHODS = [
  ['generateContentInternal', false],
  ['generateContentStreamInternal', true],
] as const;

/** Configuration of {@link GoogleGenAIInstrumentation}. */
export interface GoogleGenAIInstrumentationConfig
  extends InstrumentationConfig,
    ClientInstrumentationOptions {}

interface GenAIExports {
  Models?: { prototype?: Record<string, unknown> };
}

/**
 * OpenTelemetry instrumentation of the Google Gen AI SDK (`@google/genai`): every request of
 * `models.generateContent` and `models.generateContentStream` is one `chat {model}` CLIENT span with the GenAI
 * attributes (`gen_ai.provider.name` `gcp.gemini` or `gcp.vertex_ai`), usage with cached and thinking tokens
 * and its USD cost, recorded through the same code path as a `runTurn` turn.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { GoogleGenAIInstrumentation } from '@agentrace/instrumentation/google-genai';
 * registerInstrumentations({ instrumentations: [new GoogleGenAIInstrumentation()] });
 * ```
 */
export class GoogleGenAIInstrumentation extends InstrumentationBase<GoogleGenAIInstrumentationConfig> {
  /** @throws {ValidationError} a content option of the wrong type or range (`field` names it). */
  constructor(config: GoogleGenAIInstrumentationConfig = {}) {
    validateClientOptions(config);
    super(`${INSTRUMENTATION_PACKAGE_NAME}/google-genai`, VERSION, config);
  }

  get #tracing(): ModelsTracing {
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
    // The SDK is one bundled file per build, loaded as the package itself: the package-level hook patches it.
    return [
      new InstrumentationNodeModuleDefinition(
        SDK,
        ['*'],
        (exports: GenAIExports, moduleVersion) => {
          if (
            moduleVersion !== undefined &&
            !satisfiesMajorRange(moduleVersion, GOOGLE_GENAI_SUPPORTED_VERSIONS)
          ) {
            warnUnsupported(moduleVersion);
            return exports;
          }
          this.patchExports(exports);
          return exports;
        },
        (exports?: GenAIExports) => {
          const proto = exports?.Models?.prototype;
          for (const [name] of METHODS) if (proto && isWrapped(proto[name])) this._unwrap(proto, name);
        },
      ),
    ];
  }

  /** Patches the `Models` class of a loaded `@google/genai` module; patching twice is harmless. */
  patchExports(exports: unknown): void {
    const proto = (exports as GenAIExports | undefined)?.Models?.prototype;
    if (!proto || METHODS.some(([name]) => typeof proto[name] !== 'function')) {
      diag.warn(`agentrace: ${SDK} has no Models.prototype.generateContentInternal; left unpatched`);
      return;
    }
    const tracing = this.#tracing;
    for (const [name, streamed] of METHODS) {
      if (isWrapped(proto[name])) continue;
      this._wrap(proto, name, (original) => tracedGenerate(tracing, original as SdkMethod, streamed));
    }
  }
}

let warned = false;
function warnUnsupported(version: string): void {
  if (warned) return;
  warned = true;
  diag.warn(
    `agentrace: ${SDK} ${version} is outside the supported range ${GOOGLE_GENAI_SUPPORTED_VERSIONS}; left unpatched`,
  );
}
