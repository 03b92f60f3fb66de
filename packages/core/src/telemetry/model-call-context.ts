import { type Context, createContextKey } from '@opentelemetry/api';

/**
 * The context key agentrace sets while it records a model call: a `runTurn` turn (or one of its attempts), or a
 * call an instrumented client or framework records. A second layer that meets it in the active context (a
 * client instrumentation under `runTurn`, a client under a framework's model step) records nothing of its own,
 * so one model call is one `chat` span and one cost. `createContextKey` is `Symbol.for`, so the key is the same
 * across copies of this package.
 */
export const MODEL_CALL_CONTEXT_KEY: symbol = createContextKey('agentrace.model-call');

/** Whether agentrace is already recording a model call in `ctx` (see {@link MODEL_CALL_CONTEXT_KEY}). */
export function isModelCallRecorded(ctx: Context): boolean {
  return ctx.getValue(MODEL_CALL_CONTEXT_KEY) !== undefined;
}
