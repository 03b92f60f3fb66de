import type { ResponseFacts } from '../adapters/response-facts.js';
import type { UsageDetectionError } from '../adapters/usage-detection-error.js';
import type { AttemptRecord } from '../recovery/recovery-policy.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { StreamOutcome } from './turn-stream.js';

/** How a turn ended, once its result is fully consumed (for a stream, when the stream ends). */
export interface TurnCompletion {
  /** `completed`; for a stream also `abandoned` (the consumer stopped early), `failed` or `cancelled`. */
  readonly outcome: StreamOutcome;
  /** The usage recorded for the call. */
  readonly usage: UsageSnapshot;
  /** Its cost in USD. */
  readonly costUsd: number;
  /** What the response (or stream) said about itself, when it was read. */
  readonly facts?: ResponseFacts;
}

/** What `Session.runTurn` returns for a turn that produced a result. */
export interface TurnResult<T> {
  readonly ok: true;
  /**
   * What the work function returned. A stream (async iterable or `ReadableStream`) is passed through observed: the
   * same object behind a proxy, or a piped `ReadableStream`; consume it as you would the original.
   */
  readonly result: T;
  /** The usage recorded for the successful attempt (empty for a stream until it ends: see `done`). */
  readonly usage: UsageSnapshot;
  /** Its cost in USD (0 for a stream until it ends: see `done`). */
  readonly costUsd: number;
  /** The attempts under a recovery policy, in order (empty without one). */
  readonly attempts: readonly AttemptRecord[];
  /** Whether the result is a stream that is still being observed. */
  readonly streamed: boolean;
  /** Settles (never rejects) when the turn is fully recorded: at once, or when the stream ends. */
  readonly done: Promise<TurnCompletion>;
  /** With `usage: 'auto'`, why usage could not be read from the result (the turn then records no tokens). */
  readonly usageError?: UsageDetectionError;
}
