import { ProviderName, readAnthropicMessage, semconv as sc } from '@agentrace/core';
import { context, diag, type Meter, type Tracer } from '@opentelemetry/api';
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

/** The request parameters of `messages.create` recorded on the span, by the attribute each goes to. */
const REQUEST_PARAMS: Readonly<Record<string, string>> = {
  max_tokens: sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  temperature: sc.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  top_p: sc.ATTR_GEN_AI_REQUEST_TOP_P,
  top_k: sc.ATTR_GEN_AI_REQUEST_TOP_K,
  stop_sequences: sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
};

/** What the wrapper needs of the instrumentation that installed it. @internal */
export interface MessagesTracing {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly enabled: boolean;
  readonly options: ResolvedClientOptions;
}

/** A method of the SDK, as the wrappers see it. @internal */
export type SdkMethod = (this: unknown, ...args: unknown[]) => unknown;

interface ClientLike {
  baseURL?: unknown;
  _tracer?: unknown;
}

interface APIPromiseLike {
  responsePromise?: Promise<unknown>;
  parse?: () => Promise<unknown>;
  asResponse?: () => Promise<unknown>;
  parsedPromise?: unknown;
}

function clientOf(resource: unknown): ClientLike | undefined {
  const client = (resource as { _client?: unknown } | undefined)?._client;
  return typeof client === 'object' && client !== null ? (client as ClientLike) : undefined;
}

/**
 * Runs `fn` with the client's own tracer (`@anthropic-ai/sdk` 1.x's `anthropic.messages.create` spans) set
 * aside: agentrace's span replaces that one rather than sitting beside it. The SDK decides whether to trace
 * synchronously, at the start of `create` and `stream`, so the tracer is back before anything else can run.
 */
function withoutSdkSpans<T>(client: ClientLike | undefined, fn: () => T): T {
  if (!client || !Object.hasOwn(client, '_tracer') || client._tracer === undefined) return fn();
  const saved = client._tracer;
  client._tracer = undefined;
  try {
    return fn();
  } finally {
    client._tracer = saved;
  }
}

/** Wraps `Messages.prototype.stream`: its span is the one its inner `create` records. @internal */
export function tracedStream(tracing: MessagesTracing, original: SdkMethod): SdkMethod {
  return function stream(this: unknown, ...args: unknown[]) {
    if (!tracing.enabled) return original.apply(this, args);
    return withoutSdkSpans(clientOf(this), () => original.apply(this, args));
  };
}

/** Wraps `Messages.prototype.create`: one `chat {model}` CLIENT span per call, plain or streamed. @internal */
export function tracedCreate(tracing: MessagesTracing, original: SdkMethod): SdkMethod {
  return function create(this: unknown, ...args: unknown[]) {
    const parent = context.active();
    if (!tracing.enabled || activeModelCall(parent)) return original.apply(this, args);
    const params = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as Record<
      string,
      unknown
    >;
    const client = clientOf(this);
    let call: ModelCall | undefined;
    const startedAt = performance.now();
    guarded('messages.create start', () => {
      const model = typeof params.model === 'string' ? params.model : undefined;
      call = startModelCall({
        tracer: tracing.tracer,
        meter: tracing.meter,
        parent,
        provider: ProviderName.ANTHROPIC,
        ...(model !== undefined && { model }),
        attributes: {
          ...requestAttributes(params, REQUEST_PARAMS),
          ...(params.stream === true && { [sc.ATTR_GEN_AI_REQUEST_STREAM]: true }),
          ...serverAttributes(client?.baseURL),
        },
      });
    });
    if (!call) return original.apply(this, args);
    const started = call;
    recordRequestContent(started, params, 'anthropic', tracing.options);
    let result: unknown;
    try {
      result = withoutSdkSpans(client, () => context.with(started.context, () => original.apply(this, args)));
    } catch (err) {
      guarded('messages.create failure', () => failCall(started, err, tracing.options.maxLength));
      throw err;
    }
    guarded('messages.create result', () =>
      observeResult(result, started, startedAt, params.stream === true, tracing.options),
    );
    return result;
  };
}

/**
 * Observes the SDK's `APIPromise` without consuming anything the app did not ask for: failures from its
 * response promise, the body when (and only when) something parses it, and a raw `asResponse()` read, which
 * leaves the body to the app and so ends the span without usage.
 */
function observeResult(
  result: unknown,
  call: ModelCall,
  startedAt: number,
  streamed: boolean,
  options: ResolvedClientOptions,
): void {
  const promise = result as APIPromiseLike;
  const responsePromise = promise?.responsePromise;
  if (!(responsePromise instanceof Promise) || typeof promise.parse !== 'function') {
    diag.warn('agentrace: @anthropic-ai/sdk returned no APIPromise; the span ends without the response');
    call.end({});
    return;
  }
  let settled = false;
  const timer = setTimeout(() => {
    if (!settled) call.end({});
  }, options.abandonAfterMs);
  timer.unref?.();
  const settle = () => {
    settled = true;
    clearTimeout(timer);
  };
  responsePromise.then(undefined, (err: unknown) => {
    settle();
    guarded('messages.create failure', () => failCall(call, err, options.maxLength));
  });
  const parse = promise.parse;
  let observed = false;
  Object.defineProperty(promise, 'parse', {
    configurable: true,
    writable: true,
    value: function parseObserved(this: unknown) {
      const parsed = parse.call(this);
      if (!observed) {
        observed = true;
        parsed.then(
          (data) => {
            settle();
            guarded('messages.create response', () => {
              if (streamed) observeStream(data as object, call, startedAt, options, 'anthropic', 'anthropic');
              else endWithMessage(call, data, options);
            });
          },
          (err: unknown) => {
            settle();
            guarded('messages.create failure', () => failCall(call, err, options.maxLength));
          },
        );
      }
      return parsed;
    },
  });
  const asResponse = promise.asResponse;
  if (typeof asResponse === 'function') {
    Object.defineProperty(promise, 'asResponse', {
      configurable: true,
      writable: true,
      value: function asResponseObserved(this: APIPromiseLike) {
        const response = asResponse.call(this);
        response.then(
          () => {
            if (!observed) {
              settle();
              call.end({});
            }
          },
          () => undefined,
        );
        return response;
      },
    });
  }
}

function endWithMessage(call: ModelCall, data: unknown, options: ResolvedClientOptions): void {
  recordResponseContent(call, data, 'anthropic', options);
  try {
    call.end(endFromFacts(readAnthropicMessage(data as Parameters<typeof readAnthropicMessage>[0])));
  } catch (err) {
    // An unexpected shape: the app still gets its response; the span says what could not be read.
    call.span.addEvent(sc.EVENT_AGENTRACE_USAGE_UNDETECTED, {
      'exception.message': err instanceof Error ? err.message : String(err),
    });
    call.end({});
  }
}
