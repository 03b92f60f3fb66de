import { sanitize, semconv as sc } from '@agentrace/core';
import { isRecord } from './mcp-shapes.js';

/** How an MCP request or notification ended, as its span and duration metric record it. */
export interface McpOutcome {
  /** `error.type`: the JSON-RPC code as a string, `tool_error`, or the thrown value's type; absent on success. */
  readonly errorType?: string;
  /** The JSON-RPC error code (`rpc.response.status_code`), when the peer answered with one. */
  readonly rpcCode?: string;
  /** The span status description (the JSON-RPC error message, masked and cut). */
  readonly message?: string;
}

// The JSON-RPC code the SDK answers with when a handler throws something without its own code.
const INTERNAL_ERROR = -32603;

/** The outcome of a result: a `tools/call` result with `isError: true` is a `tool_error`, anything else succeeds. */
export function outcomeOfResult(result: unknown, isToolCall: boolean): McpOutcome {
  if (isToolCall && isRecord(result) && result.isError === true)
    return { errorType: sc.ERROR_TYPE_VALUE_TOOL_ERROR };
  return {};
}

/**
 * The outcome of a failure. An `McpError` (the SDK's, or anything with an integer `code`) is its JSON-RPC code,
 * so a timeout is `-32001` and a closed connection `-32000`; on the handling side anything else becomes the
 * `-32603` the SDK answers with, and on the sending side the thrown value's type.
 */
export function outcomeOfError(err: unknown, side: 'sender' | 'handler'): McpOutcome {
  const code = isRecord(err) || err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const message = messageOf(err);
  if (typeof code === 'number' && Number.isSafeInteger(code))
    return { errorType: String(code), rpcCode: String(code), message };
  if (side === 'handler')
    return { errorType: String(INTERNAL_ERROR), rpcCode: String(INTERNAL_ERROR), message };
  return { errorType: typeOf(err), message };
}

function messageOf(err: unknown): string {
  try {
    const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
    return sanitize(text);
  } catch {
    return 'error';
  }
}

function typeOf(err: unknown): string {
  if (err instanceof Error) return err.name || 'Error';
  if (isRecord(err) && typeof err.name === 'string' && err.name.length > 0 && err.name.length < 64)
    return err.name;
  return '_OTHER';
}
