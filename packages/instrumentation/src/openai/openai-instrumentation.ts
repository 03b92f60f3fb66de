import { VERSION } from '@agentrace/core';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { OpenAIOperation, patchMethod, unpatchMethod, wrapCreate } from './patch-openai.js';

/** The `openai` versions the OpenAI instrumentation supports. */
export const OPENAI_SUPPORTED_VERSIONS = '>=4.0.0 <8';

/** Configuration of {@link OpenAIInstrumentation}: the usual `enabled`. */
export interface OpenAIInstrumentationConfig extends InstrumentationConfig {}

interface ResourceClass {
  prototype?: object;
}
interface OpenAIClass {
  Chat?: { Completions?: ResourceClass };
  Responses?: ResourceClass;
  Embeddings?: ResourceClass;
}

// [resource, method, operation] triples patched on the resource classes' prototypes, reached through the
// client class's static members (the same in every build, CJS and ESM, 4.x to 7.x).
function targets(exports: unknown): [object | undefined, string, OpenAIOperation][] {
  const e = exports as { OpenAI?: OpenAIClass; default?: OpenAIClass } | undefined;
  const cls = (e?.OpenAI ?? e?.default ?? e) as OpenAIClass | undefined;
  return [
    [cls?.Chat?.Completions?.prototype, 'create', OpenAIOperation.CHAT],
    [cls?.Responses?.prototype, 'create', OpenAIOperation.CHAT],
    [cls?.Embeddings?.prototype, 'create', OpenAIOperation.EMBEDDINGS],
  ];
}

/**
 * OpenTelemetry instrumentation of the official `openai` client (4.x to 7.x): one `chat {model}` (or
 * `embeddings {model}`) CLIENT span per `chat.completions.create`, `responses.create` and `embeddings.create`
 * call, plain or streamed, with usage and USD cost read by core's adapters. A call made inside another
 * recorded model call (an agentrace turn, another instrumentation of ours) is left to that one.
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
    super(`${INSTRUMENTATION_PACKAGE_NAME}/openai`, VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const tracer = () => this.tracer;
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        [OPENAI_SUPPORTED_VERSIONS],
        (exports: unknown, version?: string) => {
          let patched = 0;
          for (const [proto, method, op] of targets(exports)) {
            if (!proto) continue;
            patchMethod(proto, method, (original) => wrapCreate(original, op, tracer));
            patched++;
          }
          if (patched === 0)
            diag.warn(`agentrace: openai ${version ?? '?'} has no resource it can patch; left as is`);
          return exports;
        },
        (exports: unknown) => {
          for (const [proto, method] of targets(exports)) unpatchMethod(proto, method);
        },
      ),
    ];
  }
}
