import { AgentraceError } from '@agentrace/pricing';

/**
 * Thrown by `runTurn` when the work did not settle within `timeoutMs` (`scope: 'attempt'`, one call) or the whole
 * turn, retries and waits included, exceeded a recovery policy's `totalTimeoutMs` (`scope: 'turn'`). The work's
 * signal is aborted with it.
 */
export class TurnTimeoutError extends AgentraceError {
  static override readonly errorName: string = 'TurnTimeoutError';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** Whether one attempt or the whole turn timed out. */
  readonly scope: 'attempt' | 'turn';

  constructor(timeoutMs: number, scope: 'attempt' | 'turn' = 'attempt') {
    super(
      scope === 'turn'
        ? `turn timed out after ${timeoutMs} ms (all attempts)`
        : `turn timed out after ${timeoutMs} ms`,
    );
    this.timeoutMs = timeoutMs;
    this.scope = scope;
  }
}
