import { ProviderName, readGeminiResponse, semconv as sc } from '@agentrace/core';
import { context, type Meter, type Tracer } from '@opentelemetry/api';
import {
  endFromFacts,
  failCall,
  guarded,
  observeStream,
  type ResolvedClientOptions,
  requestAttributes,
  serverAttributes,
} from '../clients/client-call.js';
import { recordRequestContent, recordResponseContent } from '../clients/message-content.js';
import { activeModelCall, type ModelCall, startModelCall } from '../frameworks/model-call.js';

/** The `config` fields of a `generateContent` request recorded on the span, by the attribute each goes to. */
const REQUEST_CONFIG: Readonly<Record<string, string>> = {
  maxOutputTokens: sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  temperature: sc.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  topP: sc.ATTR_GEN_AI_REQUEST_TOP_P,
  topK: sc.ATTR_GEN_AI_REQUEST_TOP_K,
  stopSequences: sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
};

/** What the wrappers need of the instrumentation that installed them. @internal */
export interface ModelsTracing {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly enabled: boolean;
  readonly options: ResolvedClientOptions;
}

/** A method of the SDK, as the wrappers see it. @internal */
export type SdkMethod = (this: unknown, ...args: unknown[]) => unknown;

interface ApiClientLike {
  isVertexAI?: () => boolean;
  getBaseUrl?: () => string;
}

function apiClientOf(models: unknown): ApiClientLike | undefined {
  const c = (models as { apiClient?: unknown } | undefined)?.apiClient;
  return typeof c === 'object' && c !== null ? (c as ApiClientLike) : undefined;
}

function providerOf(api: ApiClientLike | undefined): string {
  try {
    if (typeof api?.isVertexAI !== 'function') return ProviderName.GCP_GEN_AI;
    return api.isVertexAI() ? ProviderName.GCP_VERTEX_AI : ProviderName.GCP_GEMINI;
  } catch {
    return ProviderName.GCP_GEN_AI;
  }
}

function baseUrlOf(api: ApiClientLike | undefined): unknown {
  try {
    return typeof api?.getBaseUrl === 'function' ? api.getBaseUrl() : undefined;
  } catch {
    return undefined;
  }
}

/** The model id without the `models/` prefix the API accepts (and the SDK sometimes adds). */
function modelName(model: unknown): string | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

/**
 * Wraps `Models.prototype.generateContentInternal` (`streamed: false`) or `generateContentStreamInternal`
 * (`streamed: true`): the one request each public method, and each round of automatic function calling, sends.
 * One `chat {model}` CLIENT span per request. @internal
 */
export function tracedGenerate(tracing: ModelsTracing, original: SdkMethod, streamed: boolean): SdkMethod {
  return function generate(this: unknown, ...args: unknown[]) {
    const parent = context.active();
    if (!tracing.enabled || activeModelCall(parent)) return original.apply(this, args);
    const params = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as Record<
      string,
      unknown
    >;
    const api = apiClientOf(this);
    const provider = providerOf(api);
    let call: ModelCall | undefined;
    const startedAt = performance.now();
    guarded('generateContent start', () => {
      const model = modelName(params.model);
      const config =
        typeof params.config === 'object' && params.config !== null
          ? (params.config as Record<string, unknown>)
          : {};
      call = startModelCall({
        tracer: tracing.tracer,
        meter: tracing.meter,
        parent,
        provider,
        ...(model !== undefined && { model }),
        attributes: {
          ...requestAttributes(config, REQUEST_CONFIG),
          ...(streamed && { [sc.ATTR_GEN_AI_REQUEST_STREAM]: true }),
          ...serverAttributes(baseUrlOf(api)),
        },
      });
    });
    if (!call) return original.apply(this, args);
    const started = call;
    recordRequestContent(started, params, 'gemini', tracing.options);
    let result: unknown;
    try {
      result = context.with(started.context, () => original.apply(this, args));
    } catch (err) {
      guarded('generateContent failure', () => failCall(started, err, tracing.options.maxLength));
      throw err;
    }
    if (!(result instanceof Promise)) {
      guarded('generateContent result', () => started.end({}));
      return result;
    }
    // The SDK's promise is internal (the public methods await it): observing it in a chain is safe.
    return result.then(
      (value: unknown) => {
        guarded('generateContent response', () => {
          if (streamed && typeof value === 'object' && value !== null) {
            observeStream(value, started, startedAt, tracing.options, provider, 'gemini');
          } else endWithResponse(started, value, tracing.options);
        });
        return value;
      },
      (err: unknown) => {
        guarded('generateContent failure', () => failCall(started, err, tracing.options.maxLength));
        throw err;
      },
    );
  };
}

function endWithResponse(call: ModelCall, data: unknown, options: ResolvedClientOptions): void {
  recordResponseContent(call, data, 'gemini', options);
  try {
    call.end(endFromFacts(readGeminiResponse(data as Parameters<typeof readGeminiResponse>[0])));
  } catch (err) {
    // An unexpected shape: the app still gets its response; the span says what could not be read.
    call.span.addEvent(sc.EVENT_AGENTRACE_USAGE_UNDETECTED, {
      'exception.message': err instanceof Error ? err.message : String(err),
    });
    call.end({});
  }
}
