import { AgentEventName, sanitize, semconv as sc } from '@agentrace/core';
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import * as fa from '../frameworks/attributes.js';
import { bridgeStorage, type ContextStorage } from '../frameworks/bridged-storage.js';
import { type ModelCall, type ModelUsage, startModelCall } from '../frameworks/model-call.js';
import { type OpenEntry, OpenSpans } from '../frameworks/open-spans.js';
import type { FrameworkTelemetryOptions } from '../frameworks/options.js';
import {
  classifyFrameworkError,
  contentString,
  definedAttributes,
  FailureKind,
  markFailed,
  type ResolvedFrameworkOptions,
  resolveFrameworkOptions,
  safely,
} from '../frameworks/spans.js';
import type { SdkContextStore, SdkSpan, SdkSpanData, SdkTrace } from './sdk-types.js';
import { SdkSpanType } from './sdk-types.js';
import { addUsage, emptyUsage, usageFromOpenAI } from './usage.js';

/** Instrumentation scope of the spans this processor makes. */
export const OPENAI_AGENTS_SCOPE = '@agentrace/instrumentation/openai-agents';

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Options of {@link AgentraceTracingProcessor}. */
export interface OpenAIAgentsProcessorOptions extends FrameworkTelemetryOptions {}

/** What the processor keeps about an SDK span between its start and its end. */
interface Entry extends OpenEntry {
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
interface AgentState {
  readonly span: Span;
  readonly name: string;
  readonly usage: ModelUsage;
  costUsd: number;
  /** Tool name → call ids the model asked for, in order (function spans carry no call id). */
  readonly callIds: Map<string, string[]>;
}

interface TraceState extends OpenEntry {
  readonly ctx: Context;
  readonly usage: ModelUsage;
  costUsd: number;
  /** Handoffs whose target agent has not started yet: target name → source agent span. */
  readonly handoffs: Map<string, SpanContext>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * An OpenAI Agents SDK `TracingProcessor` that maps the SDK's traces and spans onto OpenTelemetry GenAI
 * spans with the shapes agentrace's own sessions produce: the SDK trace → `invoke_workflow {name}`, agent
 * spans → `invoke_agent {name}`, response and generation spans → `chat {model}` (usage, cost, response
 * facts), function spans → `execute_tool {name}`, handoffs → an `agent.handoff` event on the source agent and
 * a link from the target agent's span, guardrails → `guardrail {name}` with the tripwire outcome; custom and
 * MCP spans are kept as internal spans. Task, turn and handoff spans are folded into their owners.
 *
 * Register it with `addTraceProcessor(processor)` (keeps the SDK's export to OpenAI) or
 * `setTraceProcessors([processor])` (replaces it), and pass {@link AgentraceTracingProcessor.contextStorage}
 * to `setTracingContextStorage` so that spans made inside tools nest under them; `instrumentOpenAIAgents`
 * does all three. No method throws into the SDK.
 */
export class AgentraceTracingProcessor {
  readonly #tracer: Tracer;
  readonly #options: OpenAIAgentsProcessorOptions;
  readonly #resolved: ResolvedFrameworkOptions;
  readonly #spans: OpenSpans<Entry>;
  readonly #traces: OpenSpans<TraceState>;

  constructor(options: OpenAIAgentsProcessorOptions = {}) {
    this.#options = options;
    this.#resolved = resolveFrameworkOptions(options);
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(OPENAI_AGENTS_SCOPE);
    const table = {
      ...(options.spanTimeoutMs !== undefined && { timeoutMs: options.spanTimeoutMs }),
      ...(options.maxOpenSpans !== undefined && { maxOpen: options.maxOpenSpans }),
      ...(options.now !== undefined && { now: options.now }),
      ...(options.sweepTimer !== undefined && { timer: options.sweepTimer }),
    };
    this.#spans = new OpenSpans<Entry>(table);
    this.#traces = new OpenSpans<TraceState>(table);
  }

  /** SDK spans and traces open now (for tests and the timeout). */
  get openSpans(): number {
    return this.#spans.size + this.#traces.size;
  }

  /** Ends and marks every span and trace open longer than the timeout; returns how many. */
  sweep(): number {
    return this.#spans.sweep() + this.#traces.sweep();
  }

  /**
   * A context storage for the SDK's `setTracingContextStorage`: the SDK's own AsyncLocalStorage (`inner`,
   * or a new one), wrapped so that inside an SDK span the active OpenTelemetry span is the one made for it.
   */
  contextStorage(inner: ContextStorage<SdkContextStore>): ContextStorage<SdkContextStore> {
    return bridgeStorage(inner, (store) => this.contextOf(store));
  }

  /**
   * The OpenTelemetry context of the span made for the SDK span (or trace) `store` holds, or undefined when
   * this processor made none.
   */
  contextOf(store: SdkContextStore | undefined): Context | undefined {
    if (!store?.active) return undefined;
    if (store.span) {
      const entry = this.#spans.get(store.span.spanId);
      if (entry) return entry.ctx;
    }
    return store.trace ? this.#traces.get(store.trace.traceId)?.ctx : undefined;
  }

  start(): void {}

  async onTraceStart(sdkTrace: SdkTrace): Promise<void> {
    safely('openai-agents trace start', () => this.#traceStart(sdkTrace));
  }

  async onTraceEnd(sdkTrace: SdkTrace): Promise<void> {
    safely('openai-agents trace end', () => this.#traceEnd(sdkTrace));
  }

  async onSpanStart(span: SdkSpan): Promise<void> {
    safely('openai-agents span start', () => this.#spanStart(span));
  }

  async onSpanEnd(span: SdkSpan): Promise<void> {
    safely('openai-agents span end', () => this.#spanEnd(span));
  }

  async shutdown(): Promise<void> {
    safely('openai-agents shutdown', () => {
      this.#spans.endAll();
      this.#traces.endAll();
      this.#spans.close();
      this.#traces.close();
    });
  }

  async forceFlush(): Promise<void> {}

  #traceStart(t: SdkTrace): void {
    const name = str(t.name) ?? 'Agent workflow';
    const attrs = definedAttributes({
      [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
      [sc.ATTR_GEN_AI_WORKFLOW_NAME]: name,
      [sc.ATTR_GEN_AI_CONVERSATION_ID]: str(t.groupId),
      [fa.ATTR_AGENTRACE_FRAMEWORK_NAME]: fa.FrameworkName.OPENAI_AGENTS,
      [fa.ATTR_AGENTRACE_FRAMEWORK_TRACE_ID]: t.traceId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_GROUP_ID]: str(t.groupId),
    });
    const parent = context.active();
    const span = this.#tracer.startSpan(
      `${sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW} ${name}`,
      { kind: SpanKind.INTERNAL, attributes: attrs },
      parent,
    );
    this.#traces.set(t.traceId, {
      span,
      startedAtMs: this.#spans.now(),
      ctx: trace.setSpan(parent, span),
      usage: emptyUsage(),
      costUsd: 0,
      handoffs: new Map(),
    });
  }

  #traceEnd(t: SdkTrace): void {
    const state = this.#traces.take(t.traceId);
    if (!state) return;
    state.span.setAttributes(this.#usageAttributes(state.usage, state.costUsd));
    state.span.end();
  }

  /** The entry or trace a span's parent id points to. */
  #parentOf(s: SdkSpan): { ctx: Context; agent: AgentState | undefined; entry: Entry | undefined } {
    const entry = s.parentId ? this.#spans.get(s.parentId) : undefined;
    if (entry) return { ctx: entry.ctx, agent: entry.agent, entry };
    const t = this.#traces.get(s.traceId);
    return { ctx: t?.ctx ?? context.active(), agent: undefined, entry: undefined };
  }

  #frameworkAttributes(s: SdkSpan): Attributes {
    return definedAttributes({
      [fa.ATTR_AGENTRACE_FRAMEWORK_NAME]: fa.FrameworkName.OPENAI_AGENTS,
      [fa.ATTR_AGENTRACE_FRAMEWORK_TRACE_ID]: s.traceId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_SPAN_ID]: s.spanId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_PARENT_ID]: s.parentId ?? undefined,
      [fa.ATTR_AGENTRACE_FRAMEWORK_SPAN_TYPE]: s.spanData.type,
    });
  }

  #spanStart(s: SdkSpan): void {
    if (!s || typeof s.spanId !== 'string' || !s.spanData) return;
    const data = s.spanData;
    const parent = this.#parentOf(s);
    const base = { startedAtMs: this.#spans.now(), traceId: s.traceId, type: data.type };
    switch (data.type) {
      case SdkSpanType.TASK:
      case SdkSpanType.TURN:
      case SdkSpanType.HANDOFF: {
        // Plumbing of the run loop: its children hang on the owner (the workflow or the agent).
        const owner = parent.entry?.span ?? this.#traces.get(s.traceId)?.span ?? NOOP_SPAN;
        const entry: Entry = { ...base, span: owner, ctx: parent.ctx, folded: true, agent: parent.agent };
        if (data.type === SdkSpanType.TURN && typeof data.turn === 'number') entry.turnNumber = data.turn;
        this.#spans.set(s.spanId, entry);
        return;
      }
      case SdkSpanType.AGENT:
        this.#agentStart(s, data, parent.ctx, base);
        return;
      case SdkSpanType.RESPONSE:
      case SdkSpanType.GENERATION: {
        const model = str(data.model);
        const call = startModelCall({
          tracer: this.#tracer,
          parent: parent.ctx,
          ...(model !== undefined && { model }),
          ...(data.type === SdkSpanType.RESPONSE && { provider: 'openai' }),
          ...(parent.agent && { agentName: parent.agent.name }),
          attributes: {
            ...this.#frameworkAttributes(s),
            ...(parent.entry?.turnNumber !== undefined && {
              [sc.ATTR_AGENTRACE_TURN_NUMBER]: parent.entry.turnNumber,
            }),
          },
        });
        this.#spans.set(s.spanId, {
          ...base,
          span: call.span,
          ctx: call.context,
          folded: false,
          agent: parent.agent,
          model: call,
        });
        return;
      }
      case SdkSpanType.FUNCTION: {
        const name = str(data.name) ?? 'unknown';
        const callId = parent.agent?.callIds.get(name)?.shift();
        const span = this.#tracer.startSpan(
          `${sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#frameworkAttributes(s),
              ...definedAttributes({
                [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
                [sc.ATTR_GEN_AI_TOOL_NAME]: name,
                [sc.ATTR_GEN_AI_TOOL_TYPE]: sc.GEN_AI_TOOL_TYPE_VALUE_FUNCTION,
                [sc.ATTR_GEN_AI_TOOL_CALL_ID]: callId,
                [sc.ATTR_GEN_AI_AGENT_NAME]: parent.agent?.name,
              }),
            },
          },
          parent.ctx,
        );
        this.#internal(s.spanId, base, span, parent);
        return;
      }
      case SdkSpanType.GUARDRAIL: {
        const name = str(data.name) ?? 'guardrail';
        const span = this.#tracer.startSpan(
          `guardrail ${name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#frameworkAttributes(s),
              [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: name,
              ...(parent.agent && { [sc.ATTR_GEN_AI_AGENT_NAME]: parent.agent.name }),
            },
          },
          parent.ctx,
        );
        this.#internal(s.spanId, base, span, parent);
        return;
      }
      case SdkSpanType.MCP_TOOLS: {
        const server = str(data.server);
        const span = this.#tracer.startSpan(
          server ? `tools/list ${server}` : 'tools/list',
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#frameworkAttributes(s),
              ...definedAttributes({ 'mcp.method.name': 'tools/list', 'mcp.server.name': server }),
            },
          },
          parent.ctx,
        );
        this.#internal(s.spanId, base, span, parent);
        return;
      }
      default: {
        // custom, speech, transcription, and whatever a later SDK adds: kept as an internal span.
        const name = data.type === SdkSpanType.CUSTOM ? (str(data.name) ?? 'custom') : String(data.type);
        const span = this.#tracer.startSpan(
          name,
          { kind: SpanKind.INTERNAL, attributes: this.#frameworkAttributes(s) },
          parent.ctx,
        );
        this.#internal(s.spanId, base, span, parent);
      }
    }
  }

  #internal(
    id: string,
    base: { startedAtMs: number; traceId: string; type: string },
    span: Span,
    parent: { ctx: Context; agent: AgentState | undefined },
  ): void {
    this.#spans.set(id, {
      ...base,
      span,
      ctx: trace.setSpan(parent.ctx, span),
      folded: false,
      agent: parent.agent,
    });
  }

  #agentStart(
    s: SdkSpan,
    data: SdkSpanData,
    parentCtx: Context,
    base: { startedAtMs: number; traceId: string; type: string },
  ): void {
    const name = str(data.name) ?? 'agent';
    const t = this.#traces.get(s.traceId);
    const links: Link[] = [];
    const source = t?.handoffs.get(name);
    if (source && t) {
      t.handoffs.delete(name);
      links.push({ context: source, attributes: { [sc.ATTR_AGENTRACE_LINK_TYPE]: 'handoff' } });
    }
    const span = this.#tracer.startSpan(
      `${sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT} ${name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          ...this.#frameworkAttributes(s),
          [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
          [sc.ATTR_GEN_AI_AGENT_NAME]: name,
          [sc.ATTR_GEN_AI_AGENT_ID]: s.spanId,
        },
        ...(links.length > 0 && { links }),
      },
      parentCtx,
    );
    const agent: AgentState = { span, name, usage: emptyUsage(), costUsd: 0, callIds: new Map() };
    this.#spans.set(s.spanId, { ...base, span, ctx: trace.setSpan(parentCtx, span), folded: false, agent });
  }

  #spanEnd(s: SdkSpan): void {
    if (!s || typeof s.spanId !== 'string' || !s.spanData) return;
    const entry = this.#spans.take(s.spanId);
    if (!entry) return;
    const data = s.spanData;
    const maxLength = this.#resolved.maxLength;
    switch (data.type) {
      case SdkSpanType.TASK: {
        // The run's failure is the workflow's.
        if (s.error) this.#fail(entry.span, s, FailureKind.OTHER);
        return;
      }
      case SdkSpanType.TURN: {
        const pending = entry.pendingModel;
        if (pending) {
          const usage = usageFromOpenAI(data.usage);
          this.#endModel(entry, pending.call, { ...(usage && { usage }) }, pending.endTime);
        }
        return;
      }
      case SdkSpanType.HANDOFF:
        this.#handoff(s, data, entry);
        return;
      case SdkSpanType.AGENT: {
        const agent = entry.agent;
        if (agent) agent.span.setAttributes(this.#usageAttributes(agent.usage, agent.costUsd));
        if (s.error) this.#fail(entry.span, s, FailureKind.OTHER);
        entry.span.end();
        return;
      }
      case SdkSpanType.RESPONSE:
      case SdkSpanType.GENERATION:
        this.#modelEnd(s, data, entry);
        return;
      case SdkSpanType.FUNCTION: {
        if (this.#resolved.captureContent) {
          if (str(data.input))
            entry.span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, contentString(data.input, maxLength));
          if (str(data.output))
            entry.span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, contentString(data.output, maxLength));
        }
        if (str(data.mcp_data))
          entry.span.setAttribute('mcp.server.data', sanitize(String(data.mcp_data), maxLength));
        entry.span.setAttribute(sc.ATTR_AGENTRACE_TOOL_OUTCOME, s.error ? 'error' : 'ok');
        if (s.error) this.#fail(entry.span, s, FailureKind.TOOL);
        entry.span.end();
        return;
      }
      case SdkSpanType.GUARDRAIL: {
        const tripped = data.triggered === true;
        entry.span.setAttribute(fa.ATTR_AGENTRACE_GUARDRAIL_OUTCOME, tripped ? 'tripped' : 'passed');
        if (tripped) {
          const name = str(data.name) ?? 'guardrail';
          const reason = `tripwire triggered by ${name}`;
          entry.span.setAttribute(ATTR_ERROR_TYPE, sc.ERROR_TYPE_VALUE_GUARDRAIL);
          entry.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
          // The agent's record of the block, in core's guardrail shape.
          const target = entry.agent?.span ?? entry.span;
          target.addEvent(AgentEventName.GUARDRAIL_BLOCKED, {
            [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: name,
            [sc.ATTR_AGENTRACE_GUARDRAIL_REASON]: reason,
          });
        } else if (s.error) this.#fail(entry.span, s, FailureKind.OTHER);
        entry.span.end();
        return;
      }
      default: {
        if (data.type === SdkSpanType.CUSTOM && typeof data.data === 'object' && data.data !== null) {
          const custom: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(data.data as Record<string, unknown>)) {
            custom[`agentrace.framework.custom.${k}`] = typeof v === 'string' ? sanitize(v, maxLength) : v;
          }
          entry.span.setAttributes(definedAttributes(custom));
        }
        if (data.type === SdkSpanType.MCP_TOOLS && Array.isArray(data.result)) {
          entry.span.setAttribute(
            'agentrace.mcp.tools',
            (data.result as unknown[]).filter((x) => typeof x === 'string') as string[],
          );
        }
        if (s.error) this.#fail(entry.span, s, FailureKind.OTHER);
        entry.span.end();
      }
    }
  }

  #fail(span: Span, s: SdkSpan, kind: FailureKind): void {
    const message = s.error?.message ?? 'failed';
    const data = s.error?.data;
    const detail = data && typeof data.error === 'string' ? `${message}: ${data.error}` : message;
    markFailed(span, detail, classifyFrameworkError(detail, kind), this.#resolved.maxLength);
  }

  #modelEnd(s: SdkSpan, data: SdkSpanData, entry: Entry): void {
    const call = entry.model;
    if (!call) return;
    if (s.error) {
      const message = s.error.message;
      const data = s.error.data;
      const detail = data && typeof data.error === 'string' ? `${message}: ${data.error}` : message;
      const classified = classifyFrameworkError(detail, FailureKind.MODEL);
      call.span.setAttribute(sc.ATTR_AGENT_FAILURE_CLASS, classified.failureClass);
      call.fail(detail, classified.errorType, this.#resolved.maxLength);
      return;
    }
    let response: Record<string, unknown> | undefined;
    let usageRaw: unknown;
    if (data.type === SdkSpanType.RESPONSE) {
      response =
        typeof data._response === 'object' && data._response !== null
          ? (data._response as Record<string, unknown>)
          : undefined;
      usageRaw = response?.usage;
    } else {
      const out = Array.isArray(data.output)
        ? (data.output[0] as Record<string, unknown> | undefined)
        : undefined;
      response = out && typeof out === 'object' ? out : undefined;
      usageRaw = data.usage ?? response?.usage;
    }
    this.#rememberCallIds(entry.agent, response);
    const responseModel = str(response?.model);
    const responseId = str(data.response_id) ?? str(response?.id);
    const finishReasons = finishReasonsOf(response);
    if (this.#resolved.captureContent) {
      const input = data.type === SdkSpanType.RESPONSE ? data._input : data.input;
      if (input !== undefined)
        call.span.setAttribute(sc.ATTR_GEN_AI_INPUT_MESSAGES, contentString(input, this.#resolved.maxLength));
      const output = data.type === SdkSpanType.RESPONSE ? response?.output : data.output;
      if (output !== undefined)
        call.span.setAttribute(
          sc.ATTR_GEN_AI_OUTPUT_MESSAGES,
          contentString(output, this.#resolved.maxLength),
        );
    }
    const usage = usageFromOpenAI(usageRaw);
    const result = {
      ...(responseModel !== undefined && { responseModel }),
      ...(responseId !== undefined && { responseId }),
      ...(finishReasons.length > 0 && { finishReasons }),
    };
    if (usage === undefined) {
      // Without sensitive data the response span carries no usage; the turn that owns it does.
      const turn = s.parentId ? this.#spans.get(s.parentId) : undefined;
      if (turn && turn.type === SdkSpanType.TURN && !turn.pendingModel) {
        call.span.setAttributes(
          definedAttributes({
            [sc.ATTR_GEN_AI_RESPONSE_MODEL]: responseModel,
            [sc.ATTR_GEN_AI_RESPONSE_ID]: responseId,
          }),
        );
        turn.pendingModel = { call, endTime: Date.now() };
        return;
      }
    }
    this.#endModel(entry, call, { ...result, ...(usage && { usage }) });
  }

  #endModel(
    entry: Entry,
    call: ModelCall,
    result: { responseModel?: string; responseId?: string; finishReasons?: string[]; usage?: ModelUsage },
    endTime?: number,
  ): void {
    const cost = call.end(
      { ...result, ...(this.#options.pricing && { pricing: this.#options.pricing }) },
      endTime,
    );
    if (!result.usage) return;
    if (entry.agent) {
      addUsage(entry.agent.usage, result.usage);
      entry.agent.costUsd += cost;
    }
    const t = this.#traces.get(entry.traceId);
    if (t) {
      addUsage(t.usage, result.usage);
      t.costUsd += cost;
    }
  }

  #rememberCallIds(agent: AgentState | undefined, response: Record<string, unknown> | undefined): void {
    if (!agent || !response) return;
    const add = (name: unknown, id: unknown) => {
      if (typeof name !== 'string' || typeof id !== 'string') return;
      const ids = agent.callIds.get(name) ?? [];
      ids.push(id);
      agent.callIds.set(name, ids);
    };
    if (Array.isArray(response.output)) {
      for (const item of response.output as Record<string, unknown>[]) {
        if (item?.type === 'function_call') add(item.name, item.call_id);
      }
    }
    const choices = response.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices as Record<string, unknown>[]) {
        const message = choice?.message as Record<string, unknown> | undefined;
        const calls = message?.tool_calls;
        if (!Array.isArray(calls)) continue;
        for (const c of calls as Record<string, unknown>[]) {
          add((c?.function as Record<string, unknown> | undefined)?.name, c?.id);
        }
      }
    }
  }

  #handoff(s: SdkSpan, data: SdkSpanData, entry: Entry): void {
    const from = str(data.from_agent) ?? entry.agent?.name;
    const to = str(data.to_agent);
    const source = entry.agent?.span;
    if (source) {
      source.addEvent(
        AgentEventName.AGENT_HANDOFF,
        definedAttributes({
          [sc.ATTR_AGENTRACE_HANDOFF_SOURCE]: from,
          [sc.ATTR_AGENTRACE_HANDOFF_TARGET]: to,
          [fa.ATTR_AGENTRACE_FRAMEWORK_SPAN_ID]: s.spanId,
        }),
      );
      const t = this.#traces.get(s.traceId);
      if (to && t) t.handoffs.set(to, source.spanContext());
    }
    if (s.error && source) {
      source.addEvent('exception', {
        'exception.message': sanitize(s.error.message, this.#resolved.maxLength),
      });
    }
  }

  #usageAttributes(usage: ModelUsage, costUsd: number): Attributes {
    return {
      [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
      [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
      [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: usage.cacheReadTokens,
      [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: usage.cacheWriteTokens,
      [sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS]: usage.inputTokens,
      [sc.ATTR_AGENTRACE_USAGE_COST]: costUsd,
    };
  }
}

/** Finish reasons of a Responses API response (`status`, tool calls) or a Chat Completions one (`choices`). */
function finishReasonsOf(response: Record<string, unknown> | undefined): string[] {
  if (!response) return [];
  const choices = response.choices;
  if (Array.isArray(choices)) {
    return (choices as Record<string, unknown>[])
      .map((c) => c?.finish_reason)
      .filter((r): r is string => typeof r === 'string');
  }
  const output = response.output;
  if (
    Array.isArray(output) &&
    (output as Record<string, unknown>[]).some((i) => i?.type === 'function_call')
  ) {
    return ['tool_call'];
  }
  const status = response.status;
  if (status === 'completed') return ['stop'];
  if (status === 'incomplete') {
    const reason = (response.incomplete_details as Record<string, unknown> | undefined)?.reason;
    return [reason === 'max_output_tokens' ? 'length' : typeof reason === 'string' ? reason : 'incomplete'];
  }
  return typeof status === 'string' ? [status] : [];
}
