import {
  type ContentShape,
  detectResponse,
  openAIChatUsage,
  ProviderName,
  type ResponseFacts,
  ResponseShape,
  semconv as sc,
} from '@agentrace/core';
import { context, type Meter, type Tracer } from '@opentelemetry/api';
import {
  endFromFacts,
  failCall,
  guarded,
  observeStream,
  type ResolvedClientOptions,
  serverAttributes,
} from '../clients/client-call.js';
import { recordRequestContent, recordResponseContent } from '../clients/message-content.js';
import {
  activeModelCall,
  type ModelCall,
  type ModelCallEnd,
  startModelCall,
} from '../frameworks/model-call.js';
import { beneathOfficial, markAgentraceWrapper, officialSpanActive } from './official-coexistence.js';
import { OpenAIOperation, openAIRequestAttributes } from './request-attributes.js';

/** What the wrappers need of the instrumentation that installed them, read at each call. @internal */
export interface OpenAITracing {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly enabled: boolean;
  readonly options: ResolvedClientOptions;
}

/** A method of the client, as the wrappers see it. @internal */
export type ClientMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * One call as the wrapper sees it: the request body the app passed and how it is answered. The response
 * side ({@link respond}) is the one place both bodies are in hand.
 */
interface CallRequest {
  readonly op: OpenAIOperation;
  readonly params: Record<string, unknown>;
  readonly streamed: boolean;
  /** Which API's messages the body holds, for content capture; none for embeddings. */
  readonly contentShape: ContentShape | undefined;
}

// Chat Completions and Responses share the operation name; their bodies tell them apart.
function contentShapeOf(op: OpenAIOperation, params: Record<string, unknown>): ContentShape | undefined {
  if (op !== OpenAIOperation.CHAT) return undefined;
  return Array.isArray(params.messages) ? 'openai.chat' : 'openai.responses';
}

// The client's `APIPromise` (4.x to 7.x): a Promise whose body is parsed only when something asks for it.
interface APIPromiseLike {
  responsePromise?: unknown;
  _thenUnwrap?: (transform: (data: unknown, props?: unknown) => unknown) => APIPromiseLike;
  parse?: () => Promise<unknown>;
  asResponse?: () => Promise<unknown>;
}

function baseURLOf(resource: unknown): unknown {
  // `_client` from 4.x's later releases on; `client` in the first 4.x releases.
  const r = resource as { _client?: { baseURL?: unknown }; client?: { baseURL?: unknown } } | undefined;
  return (r?._client ?? r?.client)?.baseURL;
}

// How many patched calls are on the stack right now. `parse` calls `create` synchronously: that inner call is
// told apart even where no context manager carries the model-call marker (an OTel setup without one).
let inside = 0;

/**
 * Wraps a `create` (or `parse`) method of a resource: one `chat {model}` / `embeddings {model}` CLIENT span
 * per call, the app's return value kept as the client made it (an `APIPromise`). A call made inside another
 * recorded model call (an agentrace turn, `parse` calling `create`) is left to that one. @internal
 */
export function wrapCreate(
  tracing: OpenAITracing,
  original: ClientMethod,
  op: OpenAIOperation,
): ClientMethod {
  const create = function create(this: unknown, ...args: unknown[]) {
    const parent = context.active();
    // What is beneath now (`wrapOver` may drop an official wrapper from it when that one is disabled).
    const beneath = ((create as { __original?: unknown }).__original ?? original) as ClientMethod;
    if (!tracing.enabled) return beneath.apply(this, args);
    // A call agentrace records (or leaves to an enclosing agentrace call) goes past the official
    // `@opentelemetry/instrumentation-openai` wrapper: one span, one set of token metrics (see
    // official-coexistence.ts for why this and not suppressTracing).
    const bare = beneathOfficial(beneath);
    if (inside > 0 || activeModelCall(parent)) return bare.apply(this, args);
    // A recording official span is already this call's span: it stays the one.
    if (officialSpanActive(parent)) return beneath.apply(this, args);
    const body = args[0];
    const params = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const request: CallRequest = {
      op,
      params,
      streamed: params.stream === true,
      contentShape: contentShapeOf(op, params),
    };
    const options = tracing.options;
    let call: ModelCall | undefined;
    const startedAt = performance.now();
    guarded('openai start', () => {
      const model = typeof params.model === 'string' ? params.model : undefined;
      call = startModelCall({
        tracer: tracing.tracer,
        meter: tracing.meter,
        parent,
        provider: ProviderName.OPENAI,
        operation: op,
        ...(model !== undefined && { model }),
        attributes: { ...openAIRequestAttributes(op, params), ...serverAttributes(baseURLOf(this)) },
      });
    });
    if (!call) return original.apply(this, args);
    const started = call;
    if (request.contentShape) recordRequestContent(started, params, request.contentShape, options);
    let result: unknown;
    inside++;
    try {
      result = context.with(started.context, () => bare.apply(this, args));
    } catch (err) {
      guarded('openai failure', () => failCall(started, err, options.maxLength));
      throw err;
    } finally {
      inside--;
    }
    let returned = result;
    guarded('openai result', () => {
      returned = observeResult(result, started, startedAt, request, options);
    });
    return returned;
  };
  markAgentraceWrapper(create);
  return create;
}

/**
 * Observes the client's `APIPromise` without reading anything the app did not ask for. The response is seen
 * through `_thenUnwrap` (the client's own way to transform its result: the returned promise keeps
 * `.withResponse()`, `.asResponse()` and its class, and a helper that unwraps it again still passes through
 * here); failures through its response promise and its own `parse`; a raw `asResponse()` read, which leaves
 * the body to the app, ends the span without usage. A response nobody reads within `abandonAfterMs` of its
 * arrival ends the span as it is.
 */
function observeResult(
  result: unknown,
  call: ModelCall,
  startedAt: number,
  request: CallRequest,
  options: ResolvedClientOptions,
): unknown {
  const promise = result as APIPromiseLike | undefined;
  if (typeof promise?._thenUnwrap !== 'function') {
    // Not the client's APIPromise (a client of another shape, a wrapper around it): a plain promise is
    // observed beside the app (it keeps its own), anything else ends the span now.
    if (result instanceof Promise) {
      result.then(
        (data: unknown) => guarded('openai response', () => respond(call, startedAt, request, data, options)),
        (err: unknown) => guarded('openai failure', () => failCall(call, err, options.maxLength)),
      );
    } else call.end({});
    return result;
  }
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const fail = (err: unknown) => {
    if (settle()) guarded('openai failure', () => failCall(call, err, options.maxLength));
  };
  // The abandon clock starts when the response is there and nobody reads it: a call still in flight (a long
  // reasoning call, a slow provider) is the client's timeout to end, not ours.
  const startAbandonClock = () => {
    if (settled) return;
    timer = setTimeout(() => {
      if (settle()) guarded('openai abandoned', () => call.end({}));
    }, options.abandonAfterMs);
    timer.unref?.();
  };
  const responsePromise = promise.responsePromise;
  if (responsePromise instanceof Promise) responsePromise.then(startAbandonClock, fail);
  else startAbandonClock();
  const unwrapped = promise._thenUnwrap((data: unknown) => {
    if (settle()) guarded('openai response', () => respond(call, startedAt, request, data, options));
    return data;
  });
  let parsing = false;
  const parse = unwrapped.parse;
  if (typeof parse === 'function') {
    Object.defineProperty(unwrapped, 'parse', {
      configurable: true,
      writable: true,
      value: function parseObserved(this: unknown) {
        const parsed = parse.call(this);
        if (!parsing) {
          parsing = true;
          // A body that cannot be parsed; the app's own handlers on this promise decide what is unhandled.
          parsed.then(undefined, fail);
        }
        return parsed;
      },
    });
  }
  const asResponse = unwrapped.asResponse;
  if (typeof asResponse === 'function') {
    Object.defineProperty(unwrapped, 'asResponse', {
      configurable: true,
      writable: true,
      value: function asResponseObserved(this: unknown) {
        const response = asResponse.call(this);
        response.then(() => {
          // `.withResponse()` parses too: then the parsed body ends the span, with its usage.
          if (!parsing && settle()) guarded('openai raw response', () => call.end({}));
        }, fail);
        return response;
      },
    });
  }
  return unwrapped;
}

/** The call's response arrived (a body, or a stream still to be read). */
function respond(
  call: ModelCall,
  startedAt: number,
  request: CallRequest,
  data: unknown,
  options: ResolvedClientOptions,
): void {
  if (request.streamed && typeof data === 'object' && data !== null) {
    observeClientStream(data, call, startedAt, options, request.contentShape);
    return;
  }
  if (request.contentShape) recordResponseContent(call, data, request.contentShape, options);
  const facts = readFacts(call, request.op, data);
  call.end(facts ? endFromFacts(facts) : responseOnly(data));
}

/**
 * The client's `Stream` keeps its events behind an own `iterator` function from 4.x's later releases on:
 * `for await`, `tee()` and `toReadableStream()` all start there, so that is what is observed (each of them
 * reads the events once). The first 4.x releases have only `[Symbol.asyncIterator]`, observed in place.
 */
function observeClientStream(
  stream: object,
  call: ModelCall,
  startedAt: number,
  options: ResolvedClientOptions,
  contentShape: ContentShape | undefined,
): void {
  const s = stream as { iterator?: unknown; controller?: unknown };
  const source = s.iterator;
  if (!Object.hasOwn(s, 'iterator') || typeof source !== 'function') {
    observeStream(stream, call, startedAt, options, ProviderName.OPENAI, contentShape);
    return;
  }
  const events = {
    controller: s.controller,
    [Symbol.asyncIterator]: () => (source as () => AsyncIterator<unknown>).call(stream),
  };
  observeStream(events, call, startedAt, options, ProviderName.OPENAI, contentShape);
  s.iterator = () => events[Symbol.asyncIterator]();
}

/**
 * The response facts of a body, through core's readers. Never throws: a body of an unexpected shape reaches
 * the app untouched and the span says what could not be read.
 */
function readFacts(call: ModelCall, op: OpenAIOperation, data: unknown): ResponseFacts | undefined {
  try {
    const facts = op === OpenAIOperation.EMBEDDINGS ? embeddingFacts(data) : detectResponse(data);
    if (!facts) undetected(call, 'no usage in the response');
    return facts;
  } catch (err) {
    undetected(call, err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

// Usage of zero, in each shape's words: lets core's reader take the response facts of a body that came
// without usage (a proxy that strips it, a server that never sends it). Only those facts are kept.
const NO_USAGE: Record<string, Record<string, number>> = {
  'chat.completion': { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  response: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
};

/** The response model, id and finish reasons of a body without usage, as core reads them. */
function responseOnly(data: unknown): ModelCallEnd {
  try {
    const body = data as { object?: unknown; usage?: unknown } | undefined;
    const placeholder = typeof body?.object === 'string' ? NO_USAGE[body.object] : undefined;
    if (!placeholder || (body?.usage !== undefined && body.usage !== null)) return {};
    const facts = detectResponse({ ...body, usage: placeholder });
    if (!facts) return {};
    return {
      ...(facts.responseModel !== undefined && { responseModel: facts.responseModel }),
      ...(facts.responseId !== undefined && { responseId: facts.responseId }),
      ...(facts.finishReasons !== undefined && { finishReasons: [...facts.finishReasons] }),
    };
  } catch {
    return {};
  }
}

function embeddingFacts(data: unknown): ResponseFacts | undefined {
  const body = data as { usage?: unknown; model?: unknown } | undefined;
  if (typeof body?.usage !== 'object' || body.usage === null) return undefined;
  // An embeddings response bills `prompt_tokens` as Chat Completions does.
  return {
    shape: ResponseShape.OPENAI_CHAT_COMPLETION,
    provider: ProviderName.OPENAI,
    ...openAIChatUsage(body.usage as Parameters<typeof openAIChatUsage>[0]),
    ...(typeof body.model === 'string' && { responseModel: body.model }),
  };
}

function undetected(call: ModelCall, message: string): void {
  call.span.addEvent(sc.EVENT_AGENTRACE_USAGE_UNDETECTED, { 'exception.message': message });
}
