import {
  providerNameFromAiSdk,
  type RunTurnOptions,
  type Session,
  type TurnFailure,
  type TurnResult,
  ValidationError,
} from '@agentrace/core';
import type { LanguageModelMiddleware } from 'ai';
import { requestAttributes } from './request-attributes.js';

type WrapGenerate = NonNullable<LanguageModelMiddleware['wrapGenerate']>;
type WrapStream = NonNullable<LanguageModelMiddleware['wrapStream']>;
type WrapOptions = Parameters<WrapGenerate>[0];

/** The parameters of one language-model call (`LanguageModelV4CallOptions`), as the middleware receives them. */
export type LanguageModelCallParams = WrapOptions['params'];

/** What {@link AgentraceMiddlewareOptions.turnOptions} is told about a call. */
export interface AgentraceCall {
  /** `generate` for `generateText`/`generateObject`, `stream` for `streamText`/`streamObject`. */
  readonly type: 'generate' | 'stream';
  /** The call's parameters (prompt, tools, `maxOutputTokens`, …). */
  readonly params: LanguageModelCallParams;
  /** The model being called. */
  readonly model: { readonly provider: string; readonly modelId: string };
}

/**
 * The {@link Session.runTurn} options a call may set. `usage` is always `'auto'` (read from the model's result
 * or stream) and the signal is the call's `abortSignal`.
 */
export type AgentraceTurnOptions = Pick<
  RunTurnOptions<unknown>,
  'model' | 'provider' | 'operation' | 'timeoutMs' | 'recovery' | 'attributes' | 'expectedUsage'
>;

/** Options of {@link agentraceMiddleware}. */
export interface AgentraceMiddlewareOptions {
  /**
   * The session every call becomes a turn of, or a function returning the current one (e.g. from your own
   * `AsyncLocalStorage`); when it returns `undefined` the call runs untraced, as if unwrapped.
   */
  session: Session | (() => Session | undefined);
  /**
   * Options for each call's turn, or a function deriving them from the call (`timeoutMs`, a `recovery` policy,
   * `expectedUsage` for a shared budget, extra span `attributes`, …). By default the turn's model is the model's
   * `modelId` and its provider the `gen_ai.provider.name` of the model's provider id (`openai.chat` → `openai`).
   */
  turnOptions?: AgentraceTurnOptions | ((call: AgentraceCall) => AgentraceTurnOptions | undefined);
  /**
   * Whether to hand the call's prompt and tools to the turn as its input. They are recorded
   * (`gen_ai.input.messages`, `gen_ai.tool.definitions`, in the GenAI conventions' shape) only when the session
   * captures message content, which is off by default; the model's output (`gen_ai.output.messages`, built from
   * the result or the stream parts) is recorded then too, through the session's redactor, masking and length
   * cut. Default `true`.
   */
  recordInput?: boolean;
}

/**
 * A Vercel AI SDK language-model middleware (for `wrapLanguageModel`) that runs every call of the wrapped model as
 * a turn of an agentrace session: each `generateText`, `generateObject`, `streamText` and `streamObject` step is a
 * `chat {model}` span under the session's `invoke_agent` span, with its usage (read from the model's own result or
 * stream parts), cost, response model, id and finish reasons; the call goes through the session's circuit breaker,
 * turn gates, iteration cap and budget, and its failures are classified (and recovered, with a recovery policy).
 *
 * Streamed calls pass their parts through as they arrive; the turn's span stays open until the stream ends, fails
 * or is abandoned, and records the time to the first part. The AI SDK's own retries (`maxRetries`, 2 by default)
 * each become a turn; pass `maxRetries: 0` and a `recovery` policy to let agentrace retry instead.
 *
 * @throws {ValidationError} `session` is neither a session nor a function (`field: 'session'`), or `turnOptions`
 *   is neither an object nor a function.
 * @example
 * ```ts
 * import { openai } from '@ai-sdk/openai';
 * import { generateText, wrapLanguageModel } from 'ai';
 * import { agentraceMiddleware } from '@agentrace/ai-sdk';
 *
 * await agent.run(async (session) => {
 *   const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: agentraceMiddleware({ session }) });
 *   const { text } = await generateText({ model, prompt: 'Where is Oslo?' });
 * });
 * ```
 */
export function agentraceMiddleware(options: AgentraceMiddlewareOptions): LanguageModelMiddleware {
  const current = sessionSource(options?.session);
  const { turnOptions, recordInput = true } = options;
  if (turnOptions !== undefined && typeof turnOptions !== 'function' && typeof turnOptions !== 'object') {
    throw new ValidationError({
      field: 'turnOptions',
      value: turnOptions,
      expected: 'an options object or a function returning one',
    });
  }

  const optionsFor = (call: AgentraceCall): RunTurnOptions<unknown> => {
    const extra = (typeof turnOptions === 'function' ? turnOptions(call) : turnOptions) ?? {};
    const { params, model } = call;
    return {
      model: model.modelId,
      provider: providerNameFromAiSdk(model.provider),
      ...extra,
      attributes: { ...requestAttributes(params, { stream: call.type === 'stream' }), ...extra.attributes },
      usage: 'auto',
      ...(params.abortSignal !== undefined && { signal: params.abortSignal }),
      // Call options the session's content capture reads as the AI SDK's shape (prompt and tools).
      ...(recordInput && { input: { prompt: params.prompt, tools: params.tools } }),
    };
  };

  const wrapGenerate: WrapGenerate = async ({ doGenerate, params, model }) => {
    const session = current();
    if (session === undefined) return doGenerate();
    const turn = await session.runTurn(
      // The turn's signal carries agentrace's timeout and cancellation to the request itself.
      (signal) => model.doGenerate({ ...params, abortSignal: signal }),
      { ...optionsFor({ type: 'generate', params, model }), stream: false },
    );
    return resultOf(turn);
  };

  const wrapStream: WrapStream = async ({ doStream, params, model }) => {
    const session = current();
    if (session === undefined) return doStream();
    let response: Omit<Awaited<ReturnType<typeof doStream>>, 'stream'> = {};
    const turn = await session.runTurn(
      async (signal) => {
        const { stream, ...rest } = await model.doStream({ ...params, abortSignal: signal });
        response = rest;
        // The stream itself is the turn's result, so the session observes its parts as they pass.
        return stream;
      },
      optionsFor({ type: 'stream', params, model }),
    );
    return { ...response, stream: resultOf(turn) };
  };

  return { specificationVersion: 'v4', wrapGenerate, wrapStream };
}

function sessionSource(session: unknown): () => Session | undefined {
  if (typeof session === 'function') {
    return () => {
      const found: unknown = session();
      return isSession(found) ? found : undefined;
    };
  }
  if (isSession(session)) return () => session;
  throw new ValidationError({
    field: 'session',
    value: session,
    expected: 'an agentrace Session (from agent.run or agent.open) or a function returning one',
  });
}

// Structural, so a session from a second copy of @agentrace/core is accepted too.
function isSession(value: unknown): value is Session {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { runTurn?: unknown }).runTurn === 'function'
  );
}

/** The call's result; a turn that recovery gave up on (`log_and_continue`) fails the call with its error. */
function resultOf<T>(turn: TurnResult<T> | TurnFailure): T {
  if (turn.ok) return turn.result;
  throw turn.error;
}
