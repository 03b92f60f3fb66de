import { AgentEventName, sanitize, semconv as sc } from '@agentrace/core';
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import * as fa from '../frameworks/attributes.js';
import { bridgeStorage, type ContextStorage } from '../frameworks/bridged-storage.js';
import { type ModelCall, type ModelUsage, startModelCall } from '../frameworks/model-call.js';
import { OpenSpans } from '../frameworks/open-spans.js';
import type { FrameworkTelemetryOptions } from '../frameworks/options.js';
import {
  classifyFrameworkError,
  contentString,
  definedAttributes,
  FailureKind,
  type ResolvedFrameworkOptions,
  resolveFrameworkOptions,
  safely,
} from '../frameworks/spans.js';
import { endGuardrailSpan, endOtherSpan, endToolSpan, failWith } from './end-spans.js';
import { type AgentState, type Entry, str, type TraceState } from './entries.js';
import { finishReasonsOf, toolCallsOf } from './response-facts.js';
import type { SdkContextStore, SdkSpan, SdkSpanData, SdkTrace } from './sdk-types.js';
import { SdkSpanType } from './sdk-types.js';
import { addUsage, emptyUsage, usageFromOpenAI, usageTotals } from './usage.js';

/** Instrumentation scope of the spans this processor makes. */
export const OPENAI_AGENTS_SCOPE = '@agentrace/instrumentation/openai-agents';

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Options of {@link AgentraceTracingProcessor}. */
export interface OpenAIAgentsProcessorOptions extends FrameworkTelemetryOptions {}

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
    state.span.setAttributes(usageTotals(state.usage, state.costUsd));
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
        if (agent) agent.span.setAttributes(usageTotals(agent.usage, agent.costUsd));
        if (s.error) this.#fail(entry.span, s, FailureKind.OTHER);
        entry.span.end();
        return;
      }
      case SdkSpanType.RESPONSE:
      case SdkSpanType.GENERATION:
        this.#modelEnd(s, data, entry);
        return;
      case SdkSpanType.FUNCTION:
        endToolSpan(entry.span, s, this.#resolved);
        return;
      case SdkSpanType.GUARDRAIL:
        endGuardrailSpan(entry.span, s, entry.agent?.span, this.#resolved);
        return;
      default:
        endOtherSpan(entry.span, s, this.#resolved);
    }
  }

  #fail(span: Span, s: SdkSpan, kind: FailureKind): void {
    failWith(span, s, kind, this.#resolved.maxLength);
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
    for (const [name, id] of toolCallsOf(response)) {
      const ids = agent.callIds.get(name) ?? [];
      ids.push(id);
      agent.callIds.set(name, ids);
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
}
