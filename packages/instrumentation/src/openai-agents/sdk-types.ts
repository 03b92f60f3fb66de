/**
 * The shapes of the OpenAI Agents SDK's traces and spans this processor reads (`@openai/agents-core`'s
 * `Trace`, `Span` and span data, as of 0.20). Declared structurally so that this module loads, and the
 * processor type-checks, without the SDK installed; every field is read defensively because older and newer
 * SDK versions add and drop fields.
 */

/** An SDK trace: one run (or one `withTrace` block). */
export interface SdkTrace {
  readonly traceId: string;
  readonly name?: string;
  readonly groupId?: string | null;
  readonly metadata?: Record<string, unknown>;
}

/** An SDK span's error. */
export interface SdkSpanError {
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** An SDK span. */
export interface SdkSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly spanData: SdkSpanData;
  readonly error: SdkSpanError | null;
}

/** Span data: `type` tells which fields it has. */
export interface SdkSpanData {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** The SDK's span data types this processor maps (others become internal spans named by their type). */
export const SdkSpanType = {
  TASK: 'task',
  AGENT: 'agent',
  TURN: 'turn',
  RESPONSE: 'response',
  GENERATION: 'generation',
  FUNCTION: 'function',
  HANDOFF: 'handoff',
  GUARDRAIL: 'guardrail',
  CUSTOM: 'custom',
  MCP_TOOLS: 'mcp_tools',
} as const;
/** An SDK span data type. */
export type SdkSpanType = (typeof SdkSpanType)[keyof typeof SdkSpanType];

/** The SDK's context store (what its AsyncLocalStorage holds). */
export interface SdkContextStore {
  readonly trace?: SdkTrace;
  readonly span?: SdkSpan;
  readonly active?: boolean;
}
