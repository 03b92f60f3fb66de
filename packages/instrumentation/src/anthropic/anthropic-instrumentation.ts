import { VERSION } from '@agentrace/core';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
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
import { type MessagesTracing, type SdkMethod, tracedCreate, tracedStream } from './trace-messages.js';

/** The `@anthropic-ai/sdk` versions {@link AnthropicInstrumentation} patches (tested at both ends). */
export const ANTHROPIC_SDK_SUPPORTED_VERSIONS = '>=0.50.0 <2';

const SDK = '@anthropic-ai/sdk';
// One Messages resource per build: CommonJS and ESM.
const MESSAGES_FILES = ['resources/messages/messages.js', 'resources/messages/messages.mjs'];

/** Configuration of {@link AnthropicInstrumentation}. */
export interface AnthropicInstrumentationConfig extends InstrumentationConfig, ClientInstrumentationOptions {}

interface MessagesExports {
  Messages?: { prototype?: Record<string, unknown> };
}

/**
 * OpenTelemetry instrumentation of the Anthropic TypeScript SDK: every `messages.create` (plain and
 * `stream: true`) and `messages.stream` call is one `chat {model}` CLIENT span with the GenAI attributes,
 * usage (cache reads and writes apart) and its USD cost, recorded through the same code path as a `runTurn`
 * turn. The SDK's own `anthropic.messages.create` spans are replaced, not duplicated.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { AnthropicInstrumentation } from '@agentrace/instrumentation/anthropic';
 * registerInstrumentations({ instrumentations: [new AnthropicInstrumentation()] });
 * ```
 */
export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  /** @throws {ValidationError} a content option of the wrong type or range (`field` names it). */
  constructor(config: AnthropicInstrumentationConfig = {}) {
    validateClientOptions(config);
    super(`${INSTRUMENTATION_PACKAGE_NAME}/anthropic`, VERSION, config);
  }

  /** What the patched SDK asks of this instrumentation, read at each call. */
  get #tracing(): MessagesTracing {
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
    const files = MESSAGES_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          `${SDK}/${file}`,
          [ANTHROPIC_SDK_SUPPORTED_VERSIONS],
          (exports: MessagesExports) => {
            this.#patch(exports);
            return exports;
          },
          (exports?: MessagesExports) => {
            const proto = exports?.Messages?.prototype;
            if (proto && isWrapped(proto.create)) this._unwrap(proto, 'create');
            if (proto && isWrapped(proto.stream)) this._unwrap(proto, 'stream');
          },
        ),
    );
    // Every version reaches the package-level hook; an unsupported one is left as it is, with one warning.
    return [
      new InstrumentationNodeModuleDefinition(
        SDK,
        ['*'],
        (exports, moduleVersion) => {
          warnIfUnsupported(moduleVersion);
          return exports;
        },
        undefined,
        files,
      ),
    ];
  }

  #patch(exports: MessagesExports): void {
    const proto = exports?.Messages?.prototype;
    if (!proto || typeof proto.create !== 'function') {
      diag.warn(`agentrace: ${SDK} has no Messages.prototype.create; left unpatched`);
      return;
    }
    const tracing = this.#tracing;
    if (!isWrapped(proto.create)) {
      this._wrap(proto, 'create', (original) => tracedCreate(tracing, original as SdkMethod));
    }
    if (typeof proto.stream === 'function' && !isWrapped(proto.stream)) {
      this._wrap(proto, 'stream', (original) => tracedStream(tracing, original as SdkMethod));
    }
  }
}

let warned = false;
function warnIfUnsupported(version: string | undefined): void {
  if (warned || version === undefined || satisfiesMajorRange(version, ANTHROPIC_SDK_SUPPORTED_VERSIONS))
    return;
  warned = true;
  diag.warn(
    `agentrace: ${SDK} ${version} is outside the supported range ${ANTHROPIC_SDK_SUPPORTED_VERSIONS}; left unpatched`,
  );
}
