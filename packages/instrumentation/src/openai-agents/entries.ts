import type { Context, Span, SpanContext } from '@opentelemetry/api';
import type { ModelCall, ModelUsage } from '../frameworks/model-call.js';
import type { OpenEntry } from '../frameworks/open-spans.js';

/** What the processor keeps about an SDK span between its start and its end. */
export interface Entry extends OpenEntry {
  readonly type: string;
  /** Context carrying this entry's OpenTelemetry span (a folded span carries its parent's). */
  readonly ctx: Context;
  /** A folded SDK span (task, turn, handoff) has no span of its own: `span` is its owner's, never ended here. */
  readonly folded: boolean;
  /** The `invoke_agent` entry this span belongs to (itself for an agent span). */
  readonly agent: AgentState | undefined;
  readonly traceId: string;
  model?: ModelCall;
  /** A turn's model call waiting for the turn's usage (the response span carried none). */
  pendingModel?: { call: ModelCall; endTime: number };
  turnNumber?: number;
}

/** Per `invoke_agent` span: what its model calls add up to, and the tool call ids its responses asked for. */
export interface AgentState {
  readonly span: Span;
  readonly name: string;
  readonly usage: ModelUsage;
  costUsd: number;
  /** Tool name → call ids the model asked for, in order (function spans carry no call id). */
  readonly callIds: Map<string, string[]>;
}

/** Per SDK trace: the workflow span, what its model calls add up to, handoffs awaiting their target. */
export interface TraceState extends OpenEntry {
  readonly ctx: Context;
  readonly usage: ModelUsage;
  costUsd: number;
  /** Handoffs whose target agent has not started yet: target name → source agent span. */
  readonly handoffs: Map<string, SpanContext>;
}

/** A non-empty string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
