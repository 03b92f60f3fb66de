import type { Attributes } from '@opentelemetry/api';
import type { RecoveryPolicy } from '../recovery/recovery-policy.js';
import type { UsageInput } from '../usage/usage-input.js';

/** What the work function of a turn is told about the attempt it runs (recovery fills in what a retry changes). */
export interface TurnContext {
  /** 1-based attempt number within this turn. */
  readonly attempt: number;
  /** 1-based number of this turn within the session. */
  readonly turnNumber: number;
  /** The provider to call (`gen_ai.provider.name`), when known. */
  readonly provider?: string;
  /** The model to call, when known. */
  readonly model?: string;
  /** The context budget (characters) to stay within, when a recovery policy sets one. */
  readonly contextBudget?: number;
  /**
   * Reports the attempt's usage from inside the work (e.g. from a streamed response). Usage reported by an attempt
   * that then fails is still recorded and costed: a failed call can cost money.
   */
  readonly reportUsage: (usage: UsageInput) => void;
}

/** Options of `Session.runTurn`. */
export interface RunTurnOptions<T> {
  /** Requested model (`gen_ai.request.model`); prices the turn. Defaults to the session's `model`. */
  model?: string;
  /** Provider (`gen_ai.provider.name`, e.g. `openai`, `anthropic`, `gcp.gemini`). Defaults to the session's. */
  provider?: string;
  /** GenAI operation name (`chat` by default; `text_completion`, `generate_content`, `embeddings`, …). */
  operation?: string;
  /**
   * The turn's token usage, when known up front; `'auto'` reads it (and the response model, id, finish reasons,
   * reasoning tokens) from the result's shape: OpenAI Chat Completions and Responses, Anthropic Messages, Gemini,
   * Bedrock Converse, the AI SDK. When it cannot, the turn records no tokens, `usageError` says why, and a span event
   * and a one-time warning report it.
   */
  usage?: UsageInput | 'auto';
  /** Derives the turn's usage from its result (e.g. from a provider response's `usage` field). */
  estimateUsage?: (result: T) => UsageInput | undefined;
  /** Abandon the work after this many milliseconds (`TurnTimeoutError`); its signal is aborted. */
  timeoutMs?: number;
  /** Cancels this turn (in addition to the session's signal). */
  signal?: AbortSignal;
  /** Extra request attributes for the model-call span (`gen_ai.request.max_tokens`, `gen_ai.request.temperature`, …). */
  attributes?: Attributes;
  /**
   * The turn's request, recorded only when content capture is on: the request body you send (OpenAI Chat
   * Completions or Responses, Anthropic Messages with its `system` and `tools`, Gemini `contents` and
   * `config`, AI SDK call options) or just its messages, or a string (one user message). It becomes
   * `gen_ai.input.messages`, `gen_ai.system_instructions` and `gen_ai.tool.definitions` in the GenAI
   * conventions' shape (see `captureInput`). With capture on, the output messages are read from the result (or
   * built from a streamed result's chunks) whether or not `input` is given.
   */
  input?: unknown;
  /** Recovery policy for this turn (overrides the agent's); `false` turns the agent's off for this call. */
  recovery?: RecoveryPolicy | false;
  /**
   * The usage you expect (e.g. the prompt's tokens plus `max_tokens`), priced and handed to the agent's gates so a
   * shared budget can reserve it before the call.
   */
  expectedUsage?: UsageInput;
  /**
   * Whether to observe a streamed result (an async iterable or `ReadableStream`): default true. `false` treats it as
   * an ordinary value (the turn ends when the work returns).
   */
  stream?: boolean;
}
