import { type Context, context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { isRecord, type JsonRpcMessage } from './mcp-shapes.js';

// `params._meta` keys are DNS-prefixed by MCP convention, but SEP-414 and the GenAI conventions write the W3C
// keys (traceparent, tracestate, baggage) unprefixed; the configured propagators decide which keys are written.
const metaGetter = {
  keys(carrier: Record<string, unknown>): string[] {
    return Object.keys(carrier);
  },
  get(carrier: Record<string, unknown>, key: string): string | undefined {
    const value = Object.hasOwn(carrier, key) ? carrier[key] : undefined;
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * A copy of `message` whose `params._meta` also carries `ctx`'s trace context, as the configured propagators
 * write it. The SDK's own message object is left as it was; keys already in `_meta` win (the app's own).
 */
export function withInjectedMeta(message: JsonRpcMessage, ctx: Context): JsonRpcMessage {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length === 0) return message;
  const params = isRecord(message.params) ? message.params : {};
  const meta = isRecord(params._meta) ? params._meta : {};
  return { ...message, params: { ...params, _meta: { ...carrier, ...meta } } };
}

/**
 * The remote parent carried in a received message's `params._meta`, or the root context when there is none or
 * it is malformed (a request without trace context starts a new trace; a bad one is ignored, never thrown).
 */
export function extractMetaContext(message: JsonRpcMessage): Context {
  try {
    const meta = isRecord(message.params) ? message.params._meta : undefined;
    if (!isRecord(meta)) return ROOT_CONTEXT;
    const extracted = propagation.extract(ROOT_CONTEXT, meta, metaGetter);
    return trace.getSpanContext(extracted) ? extracted : ROOT_CONTEXT;
  } catch {
    return ROOT_CONTEXT;
  }
}

/** The span active where a message arrived (an HTTP server span, say), to be linked rather than parented. */
export function ambientSpanContext(): ReturnType<typeof trace.getSpanContext> {
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? sc : undefined;
}
