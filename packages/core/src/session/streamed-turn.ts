import type { ResponseFacts, UsageFacts } from '../adapters/response-facts.js';
import { createStreamAccumulator } from '../adapters/stream-usage.js';
import { errorTypeFor } from '../recovery/error-type.js';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { settleGates } from '../state/turn-gate.js';
import * as sc from '../telemetry/semconv.js';
import type { TurnTelemetry } from '../telemetry/turn-telemetry.js';
import { EMPTY_USAGE, toSnapshot } from '../usage/usage-input.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { CompletedCall } from './completed-call.js';
import type { RunTurnOptions } from './run-turn-options.js';
import { streamOutputContent } from './turn-content.js';
import type { TurnCompletion, TurnResult } from './turn-result.js';
import { observeStream, type StreamOutcome } from './turn-stream.js';

/** What a streamed turn needs from its session: the recording it shares with ordinary turns. */
export interface StreamedTurnHost {
  /**
   * Streams still open, each as the callback that ends it; the session calls them when it ends (a stream that was
   * never drained ends with it), and a stream removes itself when it ends on its own.
   */
  readonly openStreams: Set<(cancelled: boolean) => void>;
  /** Records usage that was not a completed call's (a failed or cancelled stream may still be billed). */
  recordUsage(
    model: string | undefined,
    provider: string | undefined,
    usage: UsageSnapshot,
    span: TurnTelemetry,
    responseModel: string | undefined,
    facts: UsageFacts | undefined,
  ): { costUsd: number };
  /** Records a completed call's usage, cost and response facts; returns its cost. */
  recordCall<T>(
    turn: TurnTelemetry,
    call: CompletedCall<T>,
    usage: UsageSnapshot,
    facts: ResponseFacts | undefined,
  ): number;
  /** Budget bookkeeping after a call; whether the session is over budget. */
  checkBudget(turn: TurnTelemetry): boolean;
  /** Ends a turn as failed: classified, recovery recorded, `error.type` on its span. */
  turnFailed(err: unknown, turn: TurnTelemetry, signal: AbortSignal): void;
  /** Whether message content is captured (the stream's output messages are then built from its chunks). */
  readonly captureContent: boolean;
}

/**
 * A streamed result: passed through chunk by chunk; the turn's span stays open until the stream completes,
 * fails, is abandoned or the turn is cancelled; usage is read from the chunks (or reported, or given) and
 * recorded then. `done` settles with the outcome (it never rejects).
 */
export function observeStreamedTurn<T>(
  host: StreamedTurnHost,
  turn: TurnTelemetry,
  opts: RunTurnOptions<T>,
  call: CompletedCall<T>,
): TurnResult<T> {
  const accumulator = createStreamAccumulator(call.provider !== undefined ? { provider: call.provider } : {});
  // Built only with content capture on: joining every text delta costs something.
  const content = host.captureContent ? streamOutputContent(turn) : undefined;
  let first = true;
  // The AI SDK reports a provider error mid-stream as an `error` part, not as a stream error.
  let partError: unknown;
  let resolveDone!: (completion: TurnCompletion) => void;
  const done = new Promise<TurnCompletion>((resolve) => {
    resolveDone = resolve;
  });
  let finished = false;
  // Synchronous up to the gates, so that a session ending now ends this turn's span before its own.
  const finish = (outcome: StreamOutcome, err?: unknown): void => {
    if (finished) return;
    finished = true;
    host.openStreams.delete(onSessionEnd);
    call.scope.signal.removeEventListener('abort', onAbort);
    call.scope.release();
    let facts: ResponseFacts | undefined;
    let usage = EMPTY_USAGE;
    let costUsd = 0;
    let gates: Promise<void> = Promise.resolve();
    try {
      facts = accumulator.facts();
      usage =
        call.reported() ??
        facts?.usage ??
        (opts.usage !== undefined && opts.usage !== 'auto' ? toSnapshot(opts.usage) : EMPTY_USAGE);
      turn.setAttributes({ [sc.ATTR_AGENTRACE_STREAM_OUTCOME]: outcome });
      content?.record();
      if (outcome === 'failed' || outcome === 'cancelled') {
        // What was streamed before the failure may still be billed.
        if (!usage.isEmpty) {
          costUsd = host.recordUsage(
            call.model ?? facts?.responseModel,
            call.provider,
            usage,
            call.span,
            undefined,
            facts,
          ).costUsd;
        }
        gates = settleGates(call.tickets, { ok: false, usage, costUsd });
        if (outcome === 'cancelled') {
          if (call.recovering) call.span.cancel();
          turn.cancel();
        } else {
          if (call.recovering) call.span.fail(err, errorTypeFor(err));
          host.turnFailed(err, turn, call.scope.signal);
        }
      } else {
        costUsd = host.recordCall(turn, call, usage, facts);
        gates = settleGates(call.tickets, { ok: true, usage, costUsd });
        host.checkBudget(turn);
        turn.succeed(facts?.responseModel);
      }
    } catch (recordErr) {
      // A malformed count in the stream must not break the consumer; the turn still ends.
      turn.fail(recordErr, sc.ERROR_TYPE_VALUE_USAGE);
    }
    const completion: TurnCompletion = { outcome, usage, costUsd, ...(facts && { facts }) };
    void gates.then(() => resolveDone(completion));
  };
  const onAbort = () => finish('cancelled');
  // Backstop: a stream still open when the session ends (never drained, consumed some other way) ends with it.
  const onSessionEnd = (cancelled: boolean) => finish(cancelled ? 'cancelled' : 'abandoned');
  host.openStreams.add(onSessionEnd);
  call.scope.signal.addEventListener('abort', onAbort, { once: true });
  const observed = observeStream(call.result, {
    onChunk: (chunk) => {
      if (first) {
        first = false;
        turn.firstChunk();
      }
      if (isErrorPart(chunk)) partError ??= chunk.error;
      accumulator.add(chunk);
      content?.accumulator.add(chunk);
    },
    onEnd: (outcome) => {
      if (partError !== undefined) finish('failed', partError);
      else finish(outcome);
    },
    onError: (err) => {
      const cancelled = call.scope.signal.aborted && !TurnTimeoutError.isInstance(call.scope.signal.reason);
      finish(cancelled ? 'cancelled' : 'failed', err);
    },
  });
  return {
    ok: true,
    result: observed,
    usage: EMPTY_USAGE,
    costUsd: 0,
    attempts: call.attempts,
    streamed: true,
    done,
  };
}

/** An AI SDK stream part reporting a provider error (`{ type: 'error', error }`). */
function isErrorPart(chunk: unknown): chunk is { type: 'error'; error: unknown } {
  return (
    typeof chunk === 'object' &&
    chunk !== null &&
    (chunk as { type?: unknown }).type === 'error' &&
    'error' in chunk
  );
}
