import type { ContextStorage } from '../frameworks/bridged-storage.js';
import { AGENTRACE_HANDLER_NAME } from './handler-name.js';
import { type LangChainHandlerOptions, LangChainRecorder } from './recorder.js';

export type { LangChainHandlerOptions } from './recorder.js';
export { ChainSpans, LANGCHAIN_SCOPE } from './recorder.js';

/**
 * A LangChain.js / LangGraph.js callback handler that records runs as OpenTelemetry GenAI spans with the shapes
 * agentrace's own sessions produce: LangGraph graphs (`createReactAgent`, `createAgent`, any compiled graph)
 * and `AgentExecutor` → `invoke_agent {name}`, chat models and LLMs → `chat {model}` with usage (from
 * `usage_metadata`, else `llmOutput.tokenUsage`) and cost, tools → `execute_tool {name}`, retrievers →
 * `retrieval {name}`; other chains are folded or become internal spans (`ChainSpans`). Errors carry
 * `error.type` and `agent.failure_class`. Pass it in `callbacks: [handler]`, or let the register entry
 * install it for every run. It never throws into LangChain.
 */
export class AgentraceCallbackHandler {
  // The fields LangChain's callback manager reads of a handler (`BaseCallbackHandler`'s), declared here so that
  // this entry needs nothing of `@langchain/core` to load: LangChain takes any object with a `name` as a handler.
  /** The handler's name; a manager holds one handler of a name. */
  readonly name = AGENTRACE_HANDLER_NAME;
  /** Awaited: the handler is synchronous and cheap, and a span must exist before the run's work starts. */
  readonly awaitHandlers = true;
  /** Never: nothing agentrace does may fail a run. */
  readonly raiseError = false;
  readonly ignoreLLM = false;
  readonly ignoreChain = false;
  readonly ignoreAgent = false;
  readonly ignoreRetriever = false;
  readonly ignoreCustomEvent = false;
  readonly lc_serializable = false;
  readonly #recorder: LangChainRecorder;

  constructor(options: LangChainHandlerOptions = {}) {
    this.#recorder = new LangChainRecorder(options);
  }

  /** The same handler: its runs table is one per handler, so a copy would lose the runs it has open. */
  copy(): this {
    return this;
  }

  /** What LangChain serializes of a handler it cannot rebuild. */
  toJSON(): { lc: 1; type: 'not_implemented'; id: string[] } {
    return { lc: 1, type: 'not_implemented', id: ['agentrace', 'AgentraceCallbackHandler'] };
  }

  /** Runs open now. */
  get openRuns(): number {
    return this.#recorder.openRuns;
  }

  /** Ends and marks every run open longer than the timeout; returns how many. */
  sweep(): number {
    return this.#recorder.sweep();
  }

  /** Ends every open run as abandoned and stops the timeout sweep. */
  shutdown(): void {
    this.#recorder.shutdown();
  }

  /**
   * Wraps LangChain's context storage so that inside a run the active OpenTelemetry span is the one made for
   * it (or its model call in flight): spans other instrumentations make inside a tool nest under the tool.
   */
  contextStorage(
    inner: ContextStorage<Record<PropertyKey, unknown>>,
  ): ContextStorage<Record<PropertyKey, unknown>> {
    return this.#recorder.contextStorage(inner);
  }

  // The callbacks LangChain calls, each handed to the recorder (which never throws).
  handleChainStart(...args: Parameters<LangChainRecorder['handleChainStart']>): void {
    this.#recorder.handleChainStart(...args);
  }

  handleChainEnd(...args: Parameters<LangChainRecorder['handleChainEnd']>): void {
    this.#recorder.handleChainEnd(...args);
  }

  handleChainError(...args: Parameters<LangChainRecorder['handleChainError']>): void {
    this.#recorder.handleChainError(...args);
  }

  handleChatModelStart(...args: Parameters<LangChainRecorder['handleChatModelStart']>): void {
    this.#recorder.handleChatModelStart(...args);
  }

  handleLLMStart(...args: Parameters<LangChainRecorder['handleLLMStart']>): void {
    this.#recorder.handleLLMStart(...args);
  }

  handleLLMEnd(...args: Parameters<LangChainRecorder['handleLLMEnd']>): void {
    this.#recorder.handleLLMEnd(...args);
  }

  handleLLMError(...args: Parameters<LangChainRecorder['handleLLMError']>): void {
    this.#recorder.handleLLMError(...args);
  }

  handleToolStart(...args: Parameters<LangChainRecorder['handleToolStart']>): void {
    this.#recorder.handleToolStart(...args);
  }

  handleToolEnd(...args: Parameters<LangChainRecorder['handleToolEnd']>): void {
    this.#recorder.handleToolEnd(...args);
  }

  handleToolError(...args: Parameters<LangChainRecorder['handleToolError']>): void {
    this.#recorder.handleToolError(...args);
  }

  handleRetrieverStart(...args: Parameters<LangChainRecorder['handleRetrieverStart']>): void {
    this.#recorder.handleRetrieverStart(...args);
  }

  handleRetrieverEnd(...args: Parameters<LangChainRecorder['handleRetrieverEnd']>): void {
    this.#recorder.handleRetrieverEnd(...args);
  }

  handleRetrieverError(...args: Parameters<LangChainRecorder['handleRetrieverError']>): void {
    this.#recorder.handleRetrieverError(...args);
  }
}
