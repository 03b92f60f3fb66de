import {
  classifyError,
  createStreamAccumulator,
  detectResponse,
  failureClassFor,
  openAIChatUsage,
  type ResponseFacts,
  semconv as sc,
} from '@agentrace/core';
import { type Attributes, context, type Tracer } from '@opentelemetry/api';
import {
  isModelCallActive,
  type ModelCall,
  type ModelUsage,
  startModelCall,
} from '../frameworks/model-call.js';
import { openAIRequestAttributes, serverAttributes } from './request-attributes.js';

/** Which API a patched method calls: it decides the operation name and how the response is read. */
export const OpenAIOperation = {
  CHAT: 'chat',
  EMBEDDINGS: 'embeddings',
} as const;
export type OpenAIOperation = (typeof OpenAIOperation)[keyof typeof OpenAIOperation];

const PATCHED = Symbol.for('agentrace.openai.patched');
const ORIGINAL = Symbol.for('agentrace.openai.original');
const MAX_MESSAGE = 256;

type Create = (this: unknown, body: unknown, options?: unknown) => unknown;

interface ApiPromiseLike {
  then: PromiseLike<unknown>['then'];
  asResponse?: () => PromiseLike<unknown>;
  _thenUnwrap?: (transform: (data: unknown, props?: unknown) => unknown) => unknown;
}

function usageOf(facts: ResponseFacts | undefined): ModelUsage | undefined {
  if (!facts) return undefined;
  const u = facts.usage;
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    ...(facts.reasoningTokens !== undefined && { reasoningTokens: facts.reasoningTokens }),
  };
}

function endWith(call: ModelCall, facts: ResponseFacts | undefined): void {
  const usage = usageOf(facts);
  call.end({
    ...(facts?.responseModel !== undefined && { responseModel: facts.responseModel }),
    ...(facts?.responseId !== undefined && { responseId: facts.responseId }),
    ...(facts?.finishReasons !== undefined && { finishReasons: [...facts.finishReasons] }),
    ...(usage && { usage }),
  });
}

// Never throws: a response of an unexpected shape is returned to the app untouched and the span says so.
function readFacts(op: OpenAIOperation, body: unknown, call: ModelCall): ResponseFacts | undefined {
  try {
    if (op === OpenAIOperation.EMBEDDINGS) {
      const b = body as { usage?: unknown; model?: unknown };
      if (typeof b?.usage !== 'object' || b.usage === null) return undefined;
      const facts = openAIChatUsage(b.usage as Parameters<typeof openAIChatUsage>[0]);
      return {
        shape: 'openai.chat_completion',
        ...facts,
        ...(typeof b.model === 'string' && { responseModel: b.model }),
      } as ResponseFacts;
    }
    return detectResponse(body);
  } catch (err) {
    call.span.setAttribute('agentrace.usage.unreadable', err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

function failCall(call: ModelCall, err: unknown): void {
  try {
    const scenario = classifyError(err);
    call.span.setAttribute(sc.ATTR_AGENT_FAILURE_CLASS, failureClassFor(scenario));
    const status = (err as { status?: unknown })?.status;
    const errorType = typeof status === 'number' ? String(status) : scenario;
    call.fail(err instanceof Error ? err.message : String(err), errorType, MAX_MESSAGE);
  } catch {
    call.fail('error', '_OTHER', MAX_MESSAGE);
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

// The stream object stays the client's own (its `controller`, `toReadableStream()`, `tee()`): only its async
// iterator is observed, so the span ends when the consumer finishes, breaks out or the stream throws.
function observeStream(
  stream: AsyncIterable<unknown>,
  call: ModelCall,
  startedAt: number,
): AsyncIterable<unknown> {
  const acc = createStreamAccumulator({ provider: 'openai' });
  const original = stream[Symbol.asyncIterator].bind(stream);
  let first = true;
  const finish = () => {
    let facts: ResponseFacts | undefined;
    try {
      facts = acc.facts();
    } catch (err) {
      call.span.setAttribute('agentrace.usage.unreadable', err instanceof Error ? err.message : String(err));
    }
    endWith(call, facts);
  };
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value() {
      const it = original();
      return {
        async next(...args: [] | [unknown]) {
          try {
            const r = await it.next(...args);
            if (r.done) finish();
            else {
              if (first) {
                first = false;
                call.span.setAttribute(
                  sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                  (Date.now() - startedAt) / 1000,
                );
              }
              acc.add(r.value);
            }
            return r;
          } catch (err) {
            failCall(call, err);
            throw err;
          }
        },
        async return(value?: unknown) {
          finish();
          return it.return ? it.return(value) : { done: true as const, value };
        },
        async throw(err?: unknown) {
          failCall(call, err);
          if (it.throw) return it.throw(err);
          throw err;
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
  });
  return stream;
}

/** Wraps one `create` method: one CLIENT span per call, the app's return value kept (an `APIPromise`). */
export function wrapCreate(original: Create, op: OpenAIOperation, tracer: () => Tracer): Create {
  const wrapped: Create = function (this: unknown, body, options) {
    const parent = context.active();
    if (isModelCallActive(parent)) return original.call(this, body, options);
    let call: ModelCall;
    let startedAt: number;
    try {
      const b = (body ?? {}) as { model?: unknown };
      const client = (this as { _client?: { baseURL?: unknown } })?._client;
      const attributes: Attributes = {
        ...openAIRequestAttributes(body),
        ...serverAttributes(client?.baseURL),
      };
      call = startModelCall({
        tracer: tracer(),
        parent,
        provider: 'openai',
        operation: op,
        ...(typeof b.model === 'string' && { model: b.model }),
        attributes,
      });
      startedAt = Date.now();
    } catch {
      return original.call(this, body, options);
    }
    const result = context.with(call.context, () => original.call(this, body, options)) as ApiPromiseLike;
    const onValue = (value: unknown): unknown => {
      try {
        if ((body as { stream?: unknown })?.stream === true && isAsyncIterable(value)) {
          return observeStream(value, call, startedAt);
        }
        endWith(call, readFacts(op, value, call));
      } catch {
        // the app's value is returned whatever happened in here
      }
      return value;
    };
    const onError = (err: unknown): never => {
      failCall(call, err);
      throw err;
    };
    if (result && typeof result._thenUnwrap === 'function') {
      // `_thenUnwrap` keeps the client's APIPromise (`.withResponse()`, `.asResponse()`) around the value.
      const unwrapped = result._thenUnwrap((data) => onValue(data)) as ApiPromiseLike;
      // Errors reach the app through the promise it awaits; this only observes them. `asResponse()` waits for
      // the HTTP response without reading its body (a second parse would find it consumed).
      result.asResponse?.().then(undefined, (err: unknown) => failCall(call, err));
      return unwrapped;
    }
    if (result && typeof result.then === 'function') return result.then(onValue, onError);
    return onValue(result);
  };
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
  Object.defineProperty(wrapped, PATCHED, { value: true });
  return wrapped;
}

/** Patches `proto[method]` once; patching twice is harmless. */
export function patchMethod(
  proto: object | undefined,
  method: string,
  wrap: (original: Create) => Create,
): void {
  const p = proto as Record<string, unknown> | undefined;
  const current = p?.[method];
  if (typeof current !== 'function' || (current as unknown as Record<symbol, unknown>)[PATCHED]) return;
  (p as Record<string, unknown>)[method] = wrap(current as Create);
}

/** Restores `proto[method]` to what it was before {@link patchMethod}. */
export function unpatchMethod(proto: object | undefined, method: string): void {
  const p = proto as Record<string, unknown> | undefined;
  const current = p?.[method] as (Record<symbol, unknown> & Create) | undefined;
  if (current?.[PATCHED]) (p as Record<string, unknown>)[method] = current[ORIGINAL];
}
