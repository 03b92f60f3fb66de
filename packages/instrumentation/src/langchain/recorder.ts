import { AgentFailureClass, classifyError, failureClassFor, sanitize, semconv as sc } from '@agentrace/core';
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import * as fa from '../frameworks/attributes.js';
import { bridgeStorage, type ContextStorage } from '../frameworks/bridged-storage.js';
import { type ModelCall, type ModelUsage, markModelCall, startModelCall } from '../frameworks/model-call.js';
import { type OpenEntry, OpenSpans } from '../frameworks/open-spans.js';
import type { FrameworkTelemetryOptions } from '../frameworks/options.js';
import {
  contentString,
  definedAttributes,
  markFailed,
  type ResolvedFrameworkOptions,
  resolveFrameworkOptions,
  safely,
} from '../frameworks/spans.js';
import { isAgentRun, runNameOf, type SerializedLike } from './runs.js';
import { usageFromLangChain } from './usage.js';

/** Instrumentation scope of the spans this handler makes. */
export const LANGCHAIN_SCOPE = '@agentrace/instrumentation/langchain';

/** What chain runs that are not agents become. */
export const ChainSpans = {
  /** No span: their children hang on the nearest recorded ancestor (default; a ReAct loop stays readable). */
  FOLD: 'fold',
  /** An INTERNAL span each, named after the run. */
  INTERNAL: 'internal',
} as const;
/** What chain runs that are not agents become. */
export type ChainSpans = (typeof ChainSpans)[keyof typeof ChainSpans];

/** Options of {@link AgentraceCallbackHandler}. */
export interface LangChainHandlerOptions extends FrameworkTelemetryOptions {
  /** What chain runs that are not agents become (default `fold`). */
  chainSpans?: ChainSpans;
  /** Run names that are agents besides LangGraph graphs and `AgentExecutor`. */
  agentNames?: readonly string[];
}

interface Entry extends OpenEntry {
  readonly ctx: Context;
  readonly folded: boolean;
  readonly kind: 'agent' | 'chain' | 'model' | 'tool' | 'retriever';
  readonly agent: AgentState | undefined;
  readonly rootRunId: string;
  /** The parent run's id: the way up to the agent. */
  readonly parentId: string | undefined;
  model?: ModelCall;
  /** The model call a child of this run has in flight: the provider request made in this run's scope is it. */
  activeModel?: Context;
  /** A model run: the ancestors whose scope carries its marked context while it is in flight. */
  marking?: { readonly ctx: Context; readonly on: Entry[] };
}

interface AgentState {
  readonly span: Span;
  readonly name: string;
  readonly usage: ModelUsage;
  costUsd: number;
}

const LC_CHILD_KEY = Symbol.for('lc:child_config');

/**
 * What agentrace's LangChain callback handler does, without `@langchain/core`: LangGraph graphs
 * (`createReactAgent`, `createAgent`, any compiled graph) and `AgentExecutor` → `invoke_agent {name}`, chat
 * models and LLMs → `chat {model}` with usage (from `usage_metadata`, else `llmOutput.tokenUsage`) and cost,
 * tools → `execute_tool {name}`, retrievers → `retrieval {name}`; other chains are folded or become internal
 * spans ({@link ChainSpans}). Errors carry `error.type` and `agent.failure_class`. Its `handle*` methods take
 * LangChain's callback arguments; `AgentraceCallbackHandler` hands them over. It never throws.
 */
export class LangChainRecorder {
  readonly #tracer: Tracer;
  readonly #options: LangChainHandlerOptions;
  readonly #resolved: ResolvedFrameworkOptions;
  readonly #runs: OpenSpans<Entry>;
  readonly #agentNames: ReadonlySet<string>;

  constructor(options: LangChainHandlerOptions = {}) {
    this.#options = options;
    this.#resolved = resolveFrameworkOptions(options);
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(LANGCHAIN_SCOPE);
    this.#agentNames = new Set(options.agentNames ?? []);
    this.#runs = new OpenSpans<Entry>({
      ...(options.spanTimeoutMs !== undefined && { timeoutMs: options.spanTimeoutMs }),
      ...(options.maxOpenSpans !== undefined && { maxOpen: options.maxOpenSpans }),
      ...(options.now !== undefined && { now: options.now }),
      ...(options.sweepTimer !== undefined && { timer: options.sweepTimer }),
    });
  }

  /** Runs open now. */
  get openRuns(): number {
    return this.#runs.size;
  }

  /** Ends and marks every run open longer than the timeout; returns how many. */
  sweep(): number {
    return this.#runs.sweep();
  }

  /** Ends every open run as abandoned and stops the timeout sweep. */
  shutdown(): void {
    this.#runs.endAll();
    this.#runs.close();
  }

  /**
   * Wraps LangChain's context storage so that inside a run the active OpenTelemetry span is the one made for
   * it (or its model call in flight): spans other instrumentations make inside a tool nest under the tool.
   */
  contextStorage(
    inner: ContextStorage<Record<PropertyKey, unknown>>,
  ): ContextStorage<Record<PropertyKey, unknown>> {
    return bridgeStorage(inner, (store) => {
      const config = (store?.extra as Record<PropertyKey, unknown> | undefined)?.[LC_CHILD_KEY] as
        | { callbacks?: { getParentRunId?: () => string | undefined } }
        | undefined;
      const runId = config?.callbacks?.getParentRunId?.();
      if (!runId) return undefined;
      const entry = this.#runs.get(runId);
      return entry ? (entry.activeModel ?? entry.ctx) : undefined;
    });
  }

  #parent(parentRunId: string | undefined): Entry | undefined {
    return parentRunId ? this.#runs.get(parentRunId) : undefined;
  }

  #base(runId: string, parentRunId: string | undefined, type: string): Attributes {
    return definedAttributes({
      [fa.ATTR_AGENTRACE_FRAMEWORK_NAME]: fa.FrameworkName.LANGCHAIN,
      [fa.ATTR_AGENTRACE_FRAMEWORK_SPAN_ID]: runId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_PARENT_ID]: parentRunId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_TRACE_ID]: this.#parent(parentRunId)?.rootRunId ?? runId,
      [fa.ATTR_AGENTRACE_FRAMEWORK_SPAN_TYPE]: type,
    });
  }

  #open(
    runId: string,
    parentRunId: string | undefined,
    kind: Entry['kind'],
    make: (
      parentCtx: Context,
      parent: Entry | undefined,
    ) => { span: Span; ctx: Context; agent?: AgentState; model?: ModelCall },
  ): void {
    const parent = this.#parent(parentRunId);
    const parentCtx = parent?.ctx ?? context.active();
    const made = make(parentCtx, parent);
    const entry: Entry = {
      span: made.span,
      ctx: made.ctx,
      startedAtMs: this.#runs.now(),
      folded: false,
      kind,
      agent: made.agent ?? parent?.agent,
      rootRunId: parent?.rootRunId ?? runId,
      parentId: parentRunId,
      ...(made.model && { model: made.model }),
    };
    this.#runs.set(runId, entry);
  }

  handleChainStart(
    chain: SerializedLike,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
  ): void {
    safely('langchain chain start', () => {
      const name = runNameOf(chain, runName);
      if (isAgentRun(chain, name, this.#agentNames)) {
        this.#open(runId, parentRunId, 'agent', (parentCtx) => {
          const span = this.#tracer.startSpan(
            `${sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT} ${name}`,
            {
              kind: SpanKind.INTERNAL,
              attributes: {
                ...this.#base(runId, parentRunId, runType ?? 'chain'),
                [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
                [sc.ATTR_GEN_AI_AGENT_NAME]: name,
                [sc.ATTR_GEN_AI_AGENT_ID]: runId,
              },
            },
            parentCtx,
          );
          const agent: AgentState = {
            span,
            name,
            usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
            costUsd: 0,
          };
          return { span, ctx: trace.setSpan(parentCtx, span), agent };
        });
        return;
      }
      const parent = this.#parent(parentRunId);
      if ((this.#options.chainSpans ?? ChainSpans.FOLD) === ChainSpans.FOLD) {
        // Plumbing: no span; its children hang on the nearest recorded ancestor.
        const span = parent?.span ?? NOOP_SPAN;
        this.#runs.set(runId, {
          span,
          ctx: parent?.ctx ?? context.active(),
          startedAtMs: this.#runs.now(),
          folded: true,
          kind: 'chain',
          agent: parent?.agent,
          rootRunId: parent?.rootRunId ?? runId,
          parentId: parentRunId,
        });
        return;
      }
      this.#open(runId, parentRunId, 'chain', (parentCtx) => {
        const span = this.#tracer.startSpan(
          name,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#base(runId, parentRunId, runType ?? 'chain'),
              ...definedAttributes({ 'agentrace.langgraph.node': metadata?.langgraph_node }),
            },
          },
          parentCtx,
        );
        return { span, ctx: trace.setSpan(parentCtx, span) };
      });
    });
  }

  handleChainEnd(_outputs: unknown, runId: string): void {
    safely('langchain chain end', () => this.#endRun(runId));
  }

  handleChainError(err: unknown, runId: string): void {
    safely('langchain chain error', () => this.#endRun(runId, err));
  }

  handleChatModelStart(
    llm: SerializedLike,
    messages: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    safely('langchain chat model start', () =>
      this.#modelStart(llm, messages, runId, parentRunId, extraParams, metadata),
    );
  }

  handleLLMStart(
    llm: SerializedLike,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    safely('langchain llm start', () =>
      this.#modelStart(llm, prompts, runId, parentRunId, extraParams, metadata),
    );
  }

  #modelStart(
    _llm: SerializedLike,
    input: unknown,
    runId: string,
    parentRunId: string | undefined,
    extraParams: Record<string, unknown> | undefined,
    metadata: Record<string, unknown> | undefined,
  ): void {
    const invocation = extraParams?.invocation_params as Record<string, unknown> | undefined;
    const model =
      str(invocation?.model) ??
      str(invocation?.model_name) ??
      str(invocation?.modelName) ??
      str(metadata?.ls_model_name);
    const provider = str(metadata?.ls_provider);
    this.#open(runId, parentRunId, 'model', (parentCtx, parent) => {
      const call = startModelCall({
        tracer: this.#tracer,
        parent: parentCtx,
        ...(model !== undefined && { model }),
        ...(provider !== undefined && { provider }),
        ...(parent?.agent && { agentName: parent.agent.name }),
        attributes: {
          ...this.#base(runId, parentRunId, 'llm'),
          ...definedAttributes({
            [sc.ATTR_GEN_AI_REQUEST_TEMPERATURE]: invocation?.temperature,
            [sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: invocation?.max_tokens ?? invocation?.max_completion_tokens,
            [sc.ATTR_GEN_AI_REQUEST_TOP_P]: invocation?.top_p,
          }),
        },
      });
      if (this.#resolved.captureContent) {
        call.span.setAttribute(sc.ATTR_GEN_AI_INPUT_MESSAGES, contentString(input, this.#resolved.maxLength));
      }
      return { span: call.span, ctx: call.context, model: call };
    });
    const entry = this.#runs.get(runId);
    if (entry) this.#mark(entry);
  }

  /**
   * The provider request LangChain makes next runs in the scope of one of the model run's ancestors (its parent,
   * or a folded sequence or graph node above it, depending on how the model was invoked): while the call is in
   * flight, every ancestor's scope up to the agent carries the call's context, marked as recorded, so a client
   * instrumentation (`openai`) stays silent and its HTTP span nests under the chat span.
   */
  #mark(model: Entry): void {
    const ctx = markModelCall(model.ctx);
    const on: Entry[] = [];
    for (let id = model.parentId, e = id ? this.#runs.get(id) : undefined; e; ) {
      e.activeModel = ctx;
      on.push(e);
      if (e.kind === 'agent' || on.length > 64) break;
      id = e.parentId;
      e = id ? this.#runs.get(id) : undefined;
    }
    model.marking = { ctx, on };
  }

  #unmark(model: Entry | undefined): void {
    for (const e of model?.marking?.on ?? []) {
      if (e.activeModel === model?.marking?.ctx) delete e.activeModel;
    }
  }

  handleLLMEnd(output: unknown, runId: string, _parentRunId?: string): void {
    safely('langchain llm end', () => {
      const entry = this.#runs.take(runId);
      this.#unmark(entry);
      if (!entry?.model) return;
      const facts = usageFromLangChain(output);
      if (this.#resolved.captureContent && facts.outputText !== undefined) {
        entry.model.span.setAttribute(
          sc.ATTR_GEN_AI_OUTPUT_MESSAGES,
          contentString(facts.outputText, this.#resolved.maxLength),
        );
      }
      const cost = entry.model.end({
        ...(facts.responseModel !== undefined && { responseModel: facts.responseModel }),
        ...(facts.responseId !== undefined && { responseId: facts.responseId }),
        ...(facts.finishReasons.length > 0 && { finishReasons: facts.finishReasons }),
        ...(facts.usage && { usage: facts.usage }),
        ...(this.#options.pricing && { pricing: this.#options.pricing }),
      });
      if (facts.usage && entry.agent) {
        const u = entry.agent.usage;
        u.inputTokens += facts.usage.inputTokens;
        u.outputTokens += facts.usage.outputTokens;
        u.cacheReadTokens += facts.usage.cacheReadTokens;
        u.cacheWriteTokens += facts.usage.cacheWriteTokens;
        entry.agent.costUsd += cost;
      }
    });
  }

  handleLLMError(err: unknown, runId: string, _parentRunId?: string): void {
    safely('langchain llm error', () => {
      const entry = this.#runs.take(runId);
      this.#unmark(entry);
      if (!entry?.model) return;
      const scenario = classifyError(err);
      entry.model.span.setAttribute(sc.ATTR_AGENT_FAILURE_CLASS, failureClassFor(scenario));
      entry.model.fail(errorMessageOf(err), scenario, this.#resolved.maxLength);
    });
  }

  handleToolStart(
    tool: SerializedLike,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    safely('langchain tool start', () => {
      const name = runNameOf(tool, runName);
      this.#open(runId, parentRunId, 'tool', (parentCtx, parent) => {
        const span = this.#tracer.startSpan(
          `${sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#base(runId, parentRunId, 'tool'),
              ...definedAttributes({
                [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
                [sc.ATTR_GEN_AI_TOOL_NAME]: name,
                [sc.ATTR_GEN_AI_TOOL_TYPE]: sc.GEN_AI_TOOL_TYPE_VALUE_FUNCTION,
                [sc.ATTR_GEN_AI_TOOL_CALL_ID]: toolCallId,
                [sc.ATTR_GEN_AI_AGENT_NAME]: parent?.agent?.name,
                [sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: this.#resolved.captureContent
                  ? contentString(input, this.#resolved.maxLength)
                  : undefined,
              }),
            },
          },
          parentCtx,
        );
        return { span, ctx: trace.setSpan(parentCtx, span) };
      });
    });
  }

  handleToolEnd(output: unknown, runId: string): void {
    safely('langchain tool end', () => {
      const entry = this.#runs.take(runId);
      if (!entry) return;
      if (this.#resolved.captureContent) {
        const content = (output as { content?: unknown } | undefined)?.content ?? output;
        entry.span.setAttribute(
          sc.ATTR_GEN_AI_TOOL_CALL_RESULT,
          contentString(content, this.#resolved.maxLength),
        );
      }
      entry.span.setAttribute(sc.ATTR_AGENTRACE_TOOL_OUTCOME, 'ok');
      entry.span.end();
    });
  }

  handleToolError(err: unknown, runId: string): void {
    safely('langchain tool error', () => {
      const entry = this.#runs.take(runId);
      if (!entry) return;
      entry.span.setAttribute(sc.ATTR_AGENTRACE_TOOL_OUTCOME, 'error');
      markFailed(
        entry.span,
        errorMessageOf(err),
        { errorType: AgentFailureClass.TOOL_ERROR, failureClass: AgentFailureClass.TOOL_ERROR },
        this.#resolved.maxLength,
        err instanceof Error ? err.name : undefined,
      );
      entry.span.end();
    });
  }

  handleRetrieverStart(
    retriever: SerializedLike,
    query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    safely('langchain retriever start', () => {
      const source = runNameOf(retriever, name);
      this.#open(runId, parentRunId, 'retriever', (parentCtx, parent) => {
        const span = this.#tracer.startSpan(
          `${fa.GEN_AI_OPERATION_NAME_VALUE_RETRIEVAL} ${source}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...this.#base(runId, parentRunId, 'retriever'),
              ...definedAttributes({
                [sc.ATTR_GEN_AI_OPERATION_NAME]: fa.GEN_AI_OPERATION_NAME_VALUE_RETRIEVAL,
                [fa.ATTR_GEN_AI_DATA_SOURCE_ID]: source,
                [sc.ATTR_GEN_AI_AGENT_NAME]: parent?.agent?.name,
                'agentrace.retrieval.query': this.#resolved.captureContent
                  ? sanitize(query, this.#resolved.maxLength)
                  : undefined,
              }),
            },
          },
          parentCtx,
        );
        return { span, ctx: trace.setSpan(parentCtx, span) };
      });
    });
  }

  handleRetrieverEnd(documents: unknown, runId: string): void {
    safely('langchain retriever end', () => {
      const entry = this.#runs.take(runId);
      if (!entry) return;
      if (Array.isArray(documents))
        entry.span.setAttribute('agentrace.retrieval.documents', documents.length);
      entry.span.end();
    });
  }

  handleRetrieverError(err: unknown, runId: string): void {
    safely('langchain retriever error', () => this.#endRun(runId, err));
  }

  #endRun(runId: string, err?: unknown): void {
    const entry = this.#runs.take(runId);
    if (!entry || entry.folded) return;
    if (entry.agent && entry.kind === 'agent') {
      const u = entry.agent.usage;
      entry.span.setAttributes({
        [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens,
        [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.outputTokens,
        [sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cacheReadTokens,
        [sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWriteTokens,
        [sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS]: u.inputTokens,
        [sc.ATTR_AGENTRACE_USAGE_COST]: entry.agent.costUsd,
      });
    }
    if (err !== undefined) {
      const scenario = classifyError(err);
      markFailed(
        entry.span,
        errorMessageOf(err),
        {
          errorType: err instanceof Error && err.name !== 'Error' ? err.name : scenario,
          failureClass: failureClassFor(scenario),
        },
        this.#resolved.maxLength,
        err instanceof Error ? err.name : undefined,
      );
    }
    entry.span.end();
  }
}

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

function errorMessageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
