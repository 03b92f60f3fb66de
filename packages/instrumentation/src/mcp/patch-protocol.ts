import { semconv as sc } from '@agentrace/core';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Link,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  type McpTarget,
  requestIdOf,
  spanNameOf,
  TOOLS_CALL,
  targetAttributes,
  targetOf,
  transportAttributes,
} from './mcp-attributes.js';
import { type McpOutcome, outcomeOfError, outcomeOfResult } from './mcp-outcome.js';
import {
  type HandlerExtraLike,
  isRecord,
  type JsonRpcMessage,
  type ProtocolLike,
  type StoredHandler,
  type TransportLike,
} from './mcp-shapes.js';
import { applyOutcome, type McpTelemetry, outcomeMetricAttributes, safely } from './mcp-telemetry.js';
import { ambientSpanContext, extractMetaContext, withInjectedMeta } from './meta-propagation.js';

/** Marks a function as one of ours, so nothing is wrapped twice. */
const WRAPPED = Symbol.for('agentrace.mcp.wrapped');
/** Where a patched target keeps what it had before, for `unpatchProtocol`. */
const ORIGINALS = Symbol.for('agentrace.mcp.originals');

// The request or notification being sent in this context: the transport wrapper injects its span's context into
// the outgoing message's `params._meta` and learns its JSON-RPC id. Injecting at the transport, not in
// `request()`, matters: older SDKs rebuild `_meta` after `request()` is called (progress tokens).
const PENDING_KEY = createContextKey('agentrace.mcp.pending-send');

interface PendingSend {
  readonly method: string;
  readonly expectsId: boolean;
  readonly span: Span;
  readonly context: Context;
  bound: boolean;
}

interface SessionState {
  readonly start: number;
  readonly side: 'client' | 'server';
  readonly transport: TransportLike | undefined;
  protocolVersion: string | undefined;
  recorded: boolean;
  /** Whether the app asked for the close; a client whose connection closed on its own ended in error. */
  closing: boolean;
}

const sessions = new WeakMap<object, SessionState>();

type Method = (...args: unknown[]) => unknown;
type Patchable = Record<PropertyKey, unknown>;

/** Whether a Protocol is a `Client` (sends to a server URL) or a `Server`. */
function sideOf(protocol: ProtocolLike): 'client' | 'server' {
  return typeof protocol.getServerCapabilities === 'function' ? 'client' : 'server';
}

function now(): number {
  return performance.now();
}

// An outer GenAI layer (agentrace's runTool, an instrumented framework's tool step) already records this tool
// call as an INTERNAL execute_tool span: the MCP client span nests under it without claiming the operation again.
function insideToolSpan(ctx: Context): boolean {
  const span = trace.getSpan(ctx) as (Span & { attributes?: Attributes; kind?: SpanKind }) | undefined;
  if (!span?.isRecording()) return false;
  return (
    span.kind === SpanKind.INTERNAL &&
    span.attributes?.[sc.ATTR_GEN_AI_OPERATION_NAME] === sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL
  );
}

function protocolVersionOf(protocol: ProtocolLike, extra?: HandlerExtraLike): string | undefined {
  const known = sessions.get(protocol)?.protocolVersion;
  if (known) return known;
  const fromTransport = protocol.transport?.protocolVersion;
  if (typeof fromTransport === 'string' && fromTransport) return fromTransport;
  const header = extra?.requestInfo?.headers?.['mcp-protocol-version'];
  return typeof header === 'string' && header ? header : undefined;
}

/** One operation's span and metric, ended exactly once whichever way the operation finishes. */
class Operation {
  readonly span: Span;
  readonly #telemetry: McpTelemetry;
  readonly #protocol: ProtocolLike;
  readonly #target: McpTarget;
  readonly #kind: 'client' | 'server';
  readonly #metricAttributes: Attributes;
  readonly #start = now();
  #ended = false;

  constructor(
    telemetry: McpTelemetry,
    protocol: ProtocolLike,
    target: McpTarget,
    kind: 'client' | 'server',
    span: Span,
    metricAttributes: Attributes,
  ) {
    this.#telemetry = telemetry;
    this.#protocol = protocol;
    this.#target = target;
    this.#kind = kind;
    this.span = span;
    this.#metricAttributes = metricAttributes;
  }

  succeed(result: unknown): void {
    safely(() => {
      if (this.#ended) return;
      if (this.#target.method === 'initialize' && isRecord(result)) {
        const version = result.protocolVersion;
        const state = sessions.get(this.#protocol);
        if (typeof version === 'string' && version) {
          if (state) state.protocolVersion = version;
          this.span.setAttribute(sc.ATTR_MCP_PROTOCOL_VERSION, version);
          this.#metricAttributes[sc.ATTR_MCP_PROTOCOL_VERSION] = version;
        }
      }
      const outcome = outcomeOfResult(result, this.#target.method === TOOLS_CALL);
      if (this.#target.method === TOOLS_CALL && isRecord(result))
        this.#telemetry.content(
          this.span,
          sc.ATTR_GEN_AI_TOOL_CALL_RESULT,
          result.structuredContent ?? result.content,
        );
      this.end(outcome);
    }, undefined);
  }

  fail(err: unknown): void {
    safely(() => this.end(outcomeOfError(err, this.#kind === 'client' ? 'sender' : 'handler')), undefined);
  }

  end(outcome: McpOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#kind === 'client') {
      // A Streamable HTTP session id arrives with the answer to `initialize`; later requests start with it.
      const sessionId = this.#protocol.transport?.sessionId;
      if (typeof sessionId === 'string' && sessionId)
        this.span.setAttribute(sc.ATTR_MCP_SESSION_ID, sessionId);
    }
    applyOutcome(this.span, outcome);
    this.span.end();
    const instruments = this.#telemetry.instruments();
    const histogram = this.#kind === 'client' ? instruments.clientOperation : instruments.serverOperation;
    histogram.record((now() - this.#start) / 1000, {
      ...this.#metricAttributes,
      ...outcomeMetricAttributes(outcome),
    });
  }
}

function startOperation(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  message: JsonRpcMessage,
  kind: 'client' | 'server',
  parent: Context,
  extra?: HandlerExtraLike,
  links?: Link[],
): Operation {
  const target = targetOf(message);
  const executeTool = kind === 'server' || !insideToolSpan(parent);
  const side = sideOf(protocol);
  const shared: Attributes = {
    ...targetAttributes(target, true),
    ...transportAttributes(protocol.transport, side),
  };
  const version = protocolVersionOf(protocol, extra);
  if (version) shared[sc.ATTR_MCP_PROTOCOL_VERSION] = version;
  const attributes: Attributes = { ...shared, ...targetAttributes(target, executeTool) };
  if (!executeTool) delete attributes[sc.ATTR_GEN_AI_OPERATION_NAME];
  if (target.resourceUri !== undefined) attributes[sc.ATTR_MCP_RESOURCE_URI] = target.resourceUri;
  const sessionId = extra?.sessionId ?? protocol.transport?.sessionId;
  if (typeof sessionId === 'string' && sessionId) attributes[sc.ATTR_MCP_SESSION_ID] = sessionId;
  if (kind === 'server') {
    const id = requestIdOf(message);
    if (id !== undefined) attributes[sc.ATTR_JSONRPC_REQUEST_ID] = id;
  }
  const span = telemetry.tracer.startSpan(
    spanNameOf(target),
    {
      kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.SERVER,
      attributes,
      ...(links && links.length > 0 && { links }),
    },
    parent,
  );
  if (target.method === TOOLS_CALL && isRecord(message.params))
    telemetry.content(span, sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, message.params.arguments);
  return new Operation(telemetry, protocol, target, kind, span, shared);
}

function settle<T>(op: Operation, run: () => T): T {
  let out: T;
  try {
    out = run();
  } catch (err) {
    op.fail(err);
    throw err;
  }
  if (out !== null && typeof (out as { then?: unknown })?.then === 'function') {
    return (out as unknown as Promise<unknown>).then(
      (result) => {
        op.succeed(result);
        return result;
      },
      (err: unknown) => {
        op.fail(err);
        throw err;
      },
    ) as T;
  }
  op.succeed(out);
  return out;
}

/** Sends a request or notification as a CLIENT span, its context bound for the transport to inject. */
function sendTraced(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  original: Method,
  args: unknown[],
  expectsId: boolean,
): unknown {
  const message = args[0];
  if (!telemetry.enabled || !isRecord(message) || typeof message.method !== 'string')
    return original.apply(protocol, args);
  const parent = context.active();
  const op = safely(() => {
    // Instrumented after connect() (instrumentMcp called late): the transport still needs its injecting send.
    const transport = protocol.transport;
    if (isRecord(transport)) wrapTransport(telemetry, transport as unknown as TransportLike);
    return startOperation(telemetry, protocol, message as JsonRpcMessage, 'client', parent);
  }, undefined);
  if (!op) return original.apply(protocol, args);
  const spanContext = trace.setSpan(parent, op.span);
  const pending: PendingSend = {
    method: message.method,
    expectsId,
    span: op.span,
    context: spanContext,
    bound: false,
  };
  return settle(op, () =>
    context.with(spanContext.setValue(PENDING_KEY, pending), () => original.apply(protocol, args)),
  );
}

function bindPending(message: JsonRpcMessage): JsonRpcMessage {
  const pending = context.active().getValue(PENDING_KEY) as PendingSend | undefined;
  if (!pending || pending.bound || !isRecord(message) || message.method !== pending.method) return message;
  const hasId = message.id !== undefined && message.id !== null;
  if (pending.expectsId !== hasId) return message;
  pending.bound = true;
  const id = requestIdOf(message);
  if (id !== undefined) pending.span.setAttribute(sc.ATTR_JSONRPC_REQUEST_ID, id);
  return withInjectedMeta(message, pending.context);
}

function wrapTransport(telemetry: McpTelemetry, transport: TransportLike): void {
  const t = transport as unknown as Patchable;
  const send = t.send;
  if (typeof send !== 'function' || (send as unknown as Patchable)[WRAPPED]) return;
  const wrapped = function (this: unknown, message: JsonRpcMessage, ...rest: unknown[]) {
    const out = telemetry.enabled ? safely(() => bindPending(message), message) : message;
    return (send as Method).call(this, out, ...rest);
  };
  (wrapped as unknown as Patchable)[WRAPPED] = true;
  t.send = wrapped;
}

/** A stored handler wrapped so each message it handles is a SERVER span under the sender's span. */
function wrapHandler(telemetry: McpTelemetry, protocol: ProtocolLike, handler: StoredHandler): StoredHandler {
  const wrapped = function (this: unknown, message: JsonRpcMessage, extra?: HandlerExtraLike) {
    if (!telemetry.enabled) return handler.call(this, message, extra);
    const op = safely(() => {
      const parent = extractMetaContext(message);
      const ambient = ambientSpanContext();
      const remote = trace.getSpanContext(parent);
      const links = ambient && ambient.spanId !== remote?.spanId ? [{ context: ambient }] : undefined;
      return startOperation(telemetry, protocol, message, 'server', parent, extra, links);
    }, undefined);
    if (!op) return handler.call(this, message, extra);
    // A cancelled request (notifications/cancelled, or the connection closing) may never return: end it now.
    safely(
      () =>
        extra?.signal?.addEventListener('abort', () => op.end({ errorType: 'cancelled' }), { once: true }),
      undefined,
    );
    return settle(op, () =>
      context.with(trace.setSpan(context.active(), op.span), () => handler.call(this, message, extra)),
    );
  };
  (wrapped as unknown as Patchable)[WRAPPED] = true;
  return wrapped;
}

function ensureWrapped(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  map: Map<string, StoredHandler> | undefined,
  message: JsonRpcMessage,
): boolean {
  if (!(map instanceof Map) || !isRecord(message) || typeof message.method !== 'string') return true;
  const handler = map.get(message.method);
  if (handler === undefined) return false;
  if (!(handler as unknown as Patchable)[WRAPPED])
    map.set(message.method, wrapHandler(telemetry, protocol, handler));
  return true;
}

function recordSession(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  ended: 'closed' | 'input-ended',
): void {
  const state = sessions.get(protocol);
  if (!state || state.recorded) return;
  state.recorded = true;
  const attrs: Attributes = transportAttributes(state.transport, state.side);
  if (state.protocolVersion) attrs[sc.ATTR_MCP_PROTOCOL_VERSION] = state.protocolVersion;
  // The server went away under the client (it died, or the connection dropped): the SDK's ConnectionClosed.
  if (state.side === 'client' && ended === 'closed' && !state.closing) attrs[ATTR_ERROR_TYPE] = '-32000';
  const instruments = telemetry.instruments();
  const histogram = state.side === 'client' ? instruments.clientSession : instruments.serverSession;
  histogram.record((now() - state.start) / 1000, attrs);
}

/** The wrappers for each patched Protocol method, given the method they replace. */
function wrappers(telemetry: McpTelemetry): Record<string, (original: Method) => Method> {
  return {
    connect: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        if (telemetry.enabled) {
          safely(() => {
            const transport = args[0] as TransportLike | undefined;
            if (isRecord(transport)) wrapTransport(telemetry, transport);
            sessions.set(this, {
              start: now(),
              side: sideOf(this),
              transport,
              protocolVersion: undefined,
              recorded: false,
              closing: false,
            });
            // A stdio server is never told its session ended (the SDK does not watch stdin's end): we do.
            const stdin = (transport as { _stdin?: { once?: unknown } } | undefined)?._stdin;
            if (sideOf(this) === 'server' && stdin && typeof stdin.once === 'function')
              (stdin.once as (e: string, f: () => void) => void).call(stdin, 'end', () =>
                safely(() => recordSession(telemetry, this, 'input-ended'), undefined),
              );
          }, undefined);
        }
        return original.apply(this, args);
      },
    request: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        return sendTraced(telemetry, this, original, args, true);
      },
    notification: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        return sendTraced(telemetry, this, original, args, false);
      },
    _onrequest: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        if (telemetry.enabled) {
          safely(() => {
            const message = args[0] as JsonRpcMessage;
            const found = ensureWrapped(telemetry, this, this._requestHandlers, message);
            if (!found && this.fallbackRequestHandler === undefined) {
              // The SDK answers "Method not found" without calling anything: record that answer.
              const op = startOperation(telemetry, this, message, 'server', extractMetaContext(message));
              op.end({ errorType: '-32601', rpcCode: '-32601', message: 'Method not found' });
            }
          }, undefined);
        }
        return original.apply(this, args);
      },
    _onnotification: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        if (telemetry.enabled)
          safely(
            () => ensureWrapped(telemetry, this, this._notificationHandlers, args[0] as JsonRpcMessage),
            false,
          );
        return original.apply(this, args);
      },
    _onclose: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        if (telemetry.enabled) safely(() => recordSession(telemetry, this, 'closed'), undefined);
        return original.apply(this, args);
      },
    close: (original) =>
      function (this: ProtocolLike, ...args: unknown[]) {
        const state = sessions.get(this);
        if (state) state.closing = true;
        return original.apply(this, args);
      },
  };
}

/** Whether `target` (a Protocol prototype or instance) already records MCP telemetry. */
export function isPatched(target: object): boolean {
  const request = (target as Patchable).request;
  return typeof request === 'function' && Boolean((request as unknown as Patchable)[WRAPPED]);
}

/**
 * Wraps the SDK `Protocol` methods on `target` (the shared prototype, or one Client/Server instance): requests
 * and notifications sent become CLIENT spans with the trace context in `params._meta`, those handled become
 * SERVER spans under it, and connect/close bound the session metric. Idempotent.
 */
export function patchProtocol(target: object, telemetry: McpTelemetry): void {
  if (isPatched(target)) return;
  const t = target as Patchable;
  const originals: Record<string, { value: unknown; own: boolean }> = {};
  for (const [name, wrap] of Object.entries(wrappers(telemetry))) {
    const original = t[name];
    if (typeof original !== 'function') continue;
    originals[name] = { value: original, own: Object.hasOwn(t, name) };
    const wrapped = wrap(original as Method);
    (wrapped as unknown as Patchable)[WRAPPED] = true;
    t[name] = wrapped;
  }
  Object.defineProperty(t, ORIGINALS, { value: originals, configurable: true });
}

/** Undoes `patchProtocol` on `target` (handlers and transports already wrapped call straight through). */
export function unpatchProtocol(target: object): void {
  const t = target as Patchable;
  const originals = t[ORIGINALS] as Record<string, { value: unknown; own: boolean }> | undefined;
  if (!originals) return;
  for (const [name, { value, own }] of Object.entries(originals)) {
    if (own) t[name] = value;
    else delete t[name];
  }
  delete t[ORIGINALS];
}
