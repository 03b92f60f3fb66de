import {
  type ContentShape,
  classifyError,
  createStreamAccumulator,
  failureClassFor,
  type ResolvedContentCapture,
  type ResponseFacts,
  semconv as sc,
} from '@agentrace/core';
import { type Attributes, diag } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { ModelCall, ModelCallEnd } from '../frameworks/model-call.js';
import {
  type ClientContentOptions,
  clientContentOf,
  recordStreamContent,
  resolveClientContent,
  streamContentAccumulator,
} from './message-content.js';

/** Options every model-client instrumentation takes (message content: see {@link ClientContentOptions}). */
export interface ClientInstrumentationOptions extends ClientContentOptions {
  /** Longest string attribute (error messages); default 1024. */
  maxAttributeLength?: number;
  /**
   * A streamed or unparsed call whose result nobody finishes reading ends its span after this long (ms), with
   * what had arrived: a consumer that never reads the stream leaks no span. Default 600 000 (10 minutes).
   */
  abandonAfterMs?: number;
}

/** Resolved {@link ClientInstrumentationOptions}. @internal */
export interface ResolvedClientOptions {
  readonly maxLength: number;
  readonly abandonAfterMs: number;
  /** Message-content capture (off unless `captureMessageContent` or the environment variable turns it on). */
  readonly content: ResolvedContentCapture;
}

/** Resolves the options with their defaults (never throws: see {@link validateClientOptions}). @internal */
export function resolveClientOptions(options: ClientInstrumentationOptions): ResolvedClientOptions {
  return {
    maxLength: options.maxAttributeLength ?? 1024,
    abandonAfterMs: options.abandonAfterMs ?? 600_000,
    content: clientContentOf(options),
  };
}

/**
 * Checks the options an instrumentation is built with, so that a mistake is reported where it is made.
 *
 * @throws {ValidationError} a content option of the wrong type or range; `field` names it.
 * @internal
 */
export function validateClientOptions(options: ClientInstrumentationOptions): void {
  resolveClientContent(options);
}

/** Runs a step of agentrace's own bookkeeping: what it throws is logged, never thrown into the app. */
export function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.warn(`agentrace: client telemetry failed (${what}); the call is unaffected`, err);
  }
}

/** The recorder's end facts from core's response facts: the one usage mapping every path shares. */
export function endFromFacts(facts: ResponseFacts | undefined): ModelCallEnd {
  if (!facts) return {};
  const u = facts.usage;
  return {
    ...(facts.responseModel !== undefined && { responseModel: facts.responseModel }),
    ...(facts.responseId !== undefined && { responseId: facts.responseId }),
    ...(facts.finishReasons !== undefined && { finishReasons: [...facts.finishReasons] }),
    usage: {
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheReadTokens: u.cacheReadTokens,
      cacheWriteTokens: u.cacheWriteTokens,
      ...(facts.reasoningTokens !== undefined && { reasoningTokens: facts.reasoningTokens }),
    },
  };
}

/** `server.address` and `server.port` of a client's base URL (the scheme's default port when none is given). */
export function serverAttributes(baseURL: unknown): Attributes {
  if (typeof baseURL !== 'string') return {};
  try {
    const url = new URL(baseURL);
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}

/** Copies the request parameters that are set and of the attribute types the conventions give them. */
export function requestAttributes(
  params: Record<string, unknown>,
  names: Readonly<Record<string, string>>,
): Attributes {
  const out: Attributes = {};
  for (const key in names) {
    const v = params[key];
    const name = names[key] as string;
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
    else if (typeof v === 'string') out[name] = [v];
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) out[name] = v;
  }
  return out;
}

/** Ends a call as failed: `error.type` is core's failure scenario (`rate_limited`, …), plus the failure class. */
export function failCall(call: ModelCall, err: unknown, maxLength: number): void {
  const scenario = classifyError(err);
  call.span.setAttribute(sc.ATTR_AGENT_FAILURE_CLASS, failureClassFor(scenario));
  const message = err instanceof Error ? err.message : String(err);
  call.fail(message, scenario, maxLength);
}

function abortSignalOf(stream: object): AbortSignal | undefined {
  try {
    const signal = (stream as { controller?: { signal?: unknown } }).controller?.signal;
    return signal instanceof AbortSignal ? signal : undefined;
  } catch {
    return undefined;
  }
}

/** The end of a stream as {@link observeStream} saw it. */
export type StreamEndKind = 'completed' | 'abandoned';

/**
 * Shadows `stream[Symbol.asyncIterator]` on the instance so every event passes through core's stream
 * accumulator on its way to the app, unchanged. The call ends when the iteration ends (completed), stops early
 * (abandoned) or throws (failed); time to first chunk is recorded on the first event. With `contentShape` and
 * content capture on, the output messages are built from the events too and recorded when the stream ends.
 */
export function observeStream(
  stream: object,
  call: ModelCall,
  startedAt: number,
  options: ResolvedClientOptions,
  provider: string,
  contentShape?: ContentShape,
): void {
  const original = (stream as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown> })[
    Symbol.asyncIterator
  ];
  if (typeof original !== 'function') {
    call.end({});
    return;
  }
  const acc = createStreamAccumulator({ provider });
  // Only with content capture on (and a shape to read): joining every delta costs something.
  const content = streamContentAccumulator(contentShape, options);
  let first = true;
  let done = false;
  const finish = (kind: StreamEndKind) => {
    if (done) return;
    done = true;
    guarded('stream end', () => {
      call.span.setAttribute(sc.ATTR_AGENTRACE_STREAM_OUTCOME, kind);
      recordStreamContent(call, content, options);
      let facts: ResponseFacts | undefined;
      try {
        facts = acc.facts();
      } catch (err) {
        diag.warn('agentrace: the stream carried usage agentrace could not read', err);
      }
      call.end(endFromFacts(facts));
    });
  };
  const fail = (err: unknown) => {
    if (done) return;
    done = true;
    guarded('stream failure', () => {
      recordStreamContent(call, content, options);
      failCall(call, err, options.maxLength);
    });
  };
  const timer = setTimeout(() => finish('abandoned'), options.abandonAfterMs);
  timer.unref?.();
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function observed(this: unknown): AsyncIterator<unknown> {
      const it = original.call(this);
      return {
        async next(...args: [] | [unknown]) {
          let r: IteratorResult<unknown>;
          try {
            r = await it.next(...args);
          } catch (err) {
            clearTimeout(timer);
            fail(err);
            throw err;
          }
          if (r.done) {
            clearTimeout(timer);
            // Some SDKs (Anthropic's) end the iteration quietly when the app aborts through the stream's
            // controller: that is a cancelled call, not a completed one.
            const signal = abortSignalOf(stream);
            if (signal?.aborted) fail(signal.reason ?? new DOMException('aborted', 'AbortError'));
            else finish('completed');
          } else {
            if (first) {
              first = false;
              guarded('first chunk', () => call.firstChunk((performance.now() - startedAt) / 1000));
            }
            acc.add(r.value);
            content?.add(r.value);
          }
          return r;
        },
        async return(value?: unknown) {
          clearTimeout(timer);
          finish('abandoned');
          return it.return ? it.return(value) : { done: true, value };
        },
        async throw(err?: unknown) {
          clearTimeout(timer);
          fail(err);
          if (it.throw) return it.throw(err);
          throw err;
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      } as AsyncIterableIterator<unknown>;
    },
  });
}
