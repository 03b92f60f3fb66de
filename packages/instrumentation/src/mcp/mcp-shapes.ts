/**
 * The parts of `@modelcontextprotocol/sdk` the MCP instrumentation touches, typed structurally so the package does
 * not depend on the SDK at run time and works across the 1.x line (the SDK's own types change between minors).
 */

/** A JSON-RPC message as it crosses a transport. */
export interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown> & { _meta?: unknown };
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** An MCP transport (stdio, Streamable HTTP, SSE, in-memory, …). */
export interface TransportLike {
  send(message: JsonRpcMessage, options?: unknown): Promise<void>;
  readonly sessionId?: string;
  readonly protocolVersion?: string;
}

/** What a request or notification handler gets besides the message (the SDK's `RequestHandlerExtra`). */
export interface HandlerExtraLike {
  readonly signal?: AbortSignal;
  readonly sessionId?: string;
  readonly requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

/** A request or notification handler as the SDK stores it (after its schema parse). */
export type StoredHandler = (message: JsonRpcMessage, extra?: HandlerExtraLike) => unknown;

/** The SDK's `Protocol` base class (shared by `Client` and `Server`), as far as it is touched. */
export interface ProtocolLike {
  connect(transport: TransportLike, ...rest: unknown[]): Promise<void>;
  request(request: JsonRpcMessage, resultSchema: unknown, options?: unknown): Promise<unknown>;
  notification(notification: JsonRpcMessage, options?: unknown): Promise<void>;
  readonly transport?: TransportLike;
  _onrequest(request: JsonRpcMessage, extra?: unknown): void;
  _onnotification(notification: JsonRpcMessage): void;
  _onclose(): void;
  _requestHandlers?: Map<string, StoredHandler>;
  _notificationHandlers?: Map<string, StoredHandler>;
  fallbackRequestHandler?: unknown;
  getServerCapabilities?: unknown;
}

/** Whether `value` looks like an SDK `Protocol` (a `Client`, a `Server`, or a subclass). */
export function isProtocolLike(value: unknown): value is ProtocolLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof ProtocolLike, unknown>>;
  return (
    typeof v.connect === 'function' &&
    typeof v.request === 'function' &&
    typeof v.notification === 'function' &&
    typeof v._onrequest === 'function'
  );
}

/** A plain-object check for untrusted message fields. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
