import { AgentraceError } from '@agentrace/pricing';

/** Thrown by `runTurn` when the session has already started `maxIterations` turns; checked before the call. */
export class MaxIterationsExceededError extends AgentraceError {
  static override readonly errorName: string = 'MaxIterationsExceededError';
  /** The session's iteration cap. */
  readonly maxIterations: number;

  constructor(maxIterations: number) {
    super(`iteration cap reached: this session allows ${maxIterations} turn(s)`);
    this.maxIterations = maxIterations;
  }
}

/** Thrown when a session that has already ended (completed, failed, cancelled, handed off) is asked to do work. */
export class SessionEndedError extends AgentraceError {
  static override readonly errorName: string = 'SessionEndedError';
  /** The worker whose session ended. */
  readonly workerId: string;
  /** Its terminal status. */
  readonly status: string;

  constructor(init: { workerId: string; status: string; action: string }) {
    super(`cannot ${init.action}: session of worker ${init.workerId} has already ended (${init.status})`);
    this.workerId = init.workerId;
    this.status = init.status;
  }
}

/** Thrown by `pauseForInput` while a pause is pending, and by `provideInput` when none is. */
export class InputStateError extends AgentraceError {
  static override readonly errorName: string = 'InputStateError';
  /** Whether an input request was pending when the call was made. */
  readonly pending: boolean;

  constructor(pending: boolean, message: string) {
    super(message);
    this.pending = pending;
  }
}
