import type { ContextStorage } from '../frameworks/bridged-storage.js';
import { AGENTRACE_HANDLER_NAME } from './handler-methods.js';
import { BaseCallbackHandler } from './peer.js';
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
export class AgentraceCallbackHandler extends BaseCallbackHandler {
  override name = AGENTRACE_HANDLER_NAME;
  readonly #recorder: LangChainRecorder;

  constructor(options: LangChainHandlerOptions = {}) {
    // Awaited: the handler is synchronous and cheap, and a span must exist before the run's work starts.
    super({ _awaitHandler: true });
    this.#recorder = new LangChainRecorder(options);
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
  override handleChainStart(...args: Parameters<LangChainRecorder['handleChainStart']>): void {
    this.#recorder.handleChainStart(...args);
  }

  override handleChainEnd(...args: Parameters<LangChainRecorder['handleChainEnd']>): void {
    this.#recorder.handleChainEnd(...args);
  }

  override handleChainError(...args: Parameters<LangChainRecorder['handleChainError']>): void {
    this.#recorder.handleChainError(...args);
  }

  override handleChatModelStart(...args: Parameters<LangChainRecorder['handleChatModelStart']>): void {
    this.#recorder.handleChatModelStart(...args);
  }

  override handleLLMStart(...args: Parameters<LangChainRecorder['handleLLMStart']>): void {
    this.#recorder.handleLLMStart(...args);
  }

  override handleLLMEnd(...args: Parameters<LangChainRecorder['handleLLMEnd']>): void {
    this.#recorder.handleLLMEnd(...args);
  }

  override handleLLMError(...args: Parameters<LangChainRecorder['handleLLMError']>): void {
    this.#recorder.handleLLMError(...args);
  }

  override handleToolStart(...args: Parameters<LangChainRecorder['handleToolStart']>): void {
    this.#recorder.handleToolStart(...args);
  }

  override handleToolEnd(...args: Parameters<LangChainRecorder['handleToolEnd']>): void {
    this.#recorder.handleToolEnd(...args);
  }

  override handleToolError(...args: Parameters<LangChainRecorder['handleToolError']>): void {
    this.#recorder.handleToolError(...args);
  }

  override handleRetrieverStart(...args: Parameters<LangChainRecorder['handleRetrieverStart']>): void {
    this.#recorder.handleRetrieverStart(...args);
  }

  override handleRetrieverEnd(...args: Parameters<LangChainRecorder['handleRetrieverEnd']>): void {
    this.#recorder.handleRetrieverEnd(...args);
  }

  override handleRetrieverError(...args: Parameters<LangChainRecorder['handleRetrieverError']>): void {
    this.#recorder.handleRetrieverError(...args);
  }
}
