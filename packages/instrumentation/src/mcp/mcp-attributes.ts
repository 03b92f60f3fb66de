import { semconv as sc } from '@agentrace/core';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  NETWORK_TRANSPORT_VALUE_PIPE,
  NETWORK_TRANSPORT_VALUE_TCP,
} from '@opentelemetry/semantic-conventions';
import { isRecord, type JsonRpcMessage, type TransportLike } from './mcp-shapes.js';

/** The MCP method of a `tools/call` request: the one that is a GenAI `execute_tool` operation. */
export const TOOLS_CALL = 'tools/call';

// Methods whose params name a resource by URI (conventions: mcp.resource.uri).
const RESOURCE_METHODS = new Set([
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'notifications/resources/updated',
]);

function stringParam(params: unknown, key: string): string | undefined {
  if (!isRecord(params)) return undefined;
  const value = params[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** What a request or notification is about: its method, and its tool, prompt or resource when it names one. */
export interface McpTarget {
  readonly method: string;
  readonly toolName: string | undefined;
  readonly promptName: string | undefined;
  readonly resourceUri: string | undefined;
}

/** Reads the target of a JSON-RPC request or notification (never throws on odd params). */
export function targetOf(message: JsonRpcMessage): McpTarget {
  const method = message.method ?? '';
  const params = message.params;
  return {
    method,
    toolName: method === TOOLS_CALL ? stringParam(params, 'name') : undefined,
    promptName: method === 'prompts/get' ? stringParam(params, 'name') : undefined,
    resourceUri: RESOURCE_METHODS.has(method) ? stringParam(params, 'uri') : undefined,
  };
}

/**
 * The span name the conventions give: `{mcp.method.name} {target}`, the target being the tool or prompt name;
 * a resource URI is high-cardinality and stays out of the name.
 */
export function spanNameOf(target: McpTarget): string {
  const name = target.toolName ?? target.promptName;
  return name ? `${target.method} ${name}` : target.method;
}

/** The attributes a request's target contributes to its span and its duration metric. */
export function targetAttributes(target: McpTarget, executeTool: boolean): Attributes {
  const attrs: Attributes = { [sc.ATTR_MCP_METHOD_NAME]: target.method };
  if (target.toolName !== undefined) attrs[sc.ATTR_GEN_AI_TOOL_NAME] = target.toolName;
  if (target.promptName !== undefined) attrs[sc.ATTR_GEN_AI_PROMPT_NAME] = target.promptName;
  if (target.method === TOOLS_CALL && executeTool)
    attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
  return attrs;
}

/**
 * `network.transport` (`pipe` for stdio, `tcp` for HTTP), and on the client side of an HTTP transport
 * `server.address`/`server.port` and `network.protocol.name`. Read from the SDK's transport classes by name,
 * since the instrumentation must not import them.
 */
export function transportAttributes(
  transport: TransportLike | undefined,
  side: 'client' | 'server',
): Attributes {
  if (!transport) return {};
  const kind = (transport as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof kind !== 'string') return {};
  if (/stdio/i.test(kind)) return { [ATTR_NETWORK_TRANSPORT]: NETWORK_TRANSPORT_VALUE_PIPE };
  if (!/http|sse|websocket/i.test(kind)) return {};
  const attrs: Attributes = { [ATTR_NETWORK_TRANSPORT]: NETWORK_TRANSPORT_VALUE_TCP };
  if (/http|sse/i.test(kind)) attrs[ATTR_NETWORK_PROTOCOL_NAME] = 'http';
  const url = (transport as { _url?: unknown })._url;
  if (side === 'client' && url instanceof URL) {
    attrs[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port
      ? Number(url.port)
      : url.protocol === 'https:' || url.protocol === 'wss:'
        ? 443
        : 80;
    attrs[ATTR_SERVER_PORT] = port;
  }
  return attrs;
}

/** `jsonrpc.request.id` as the conventions want it: a string, absent for notifications and `null` ids. */
export function requestIdOf(message: JsonRpcMessage): string | undefined {
  const id = message.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
