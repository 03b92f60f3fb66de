import { AgentraceError, ValidationError } from '@agentrace/pricing';
import type { WallClock } from '../common/clock.js';
import { systemWallClock } from '../common/clock.js';
import type { Listener } from '../common/listeners.js';
import { Emitter } from '../common/listeners.js';
import {
  AgentStatus,
  allowedTransitions,
  canTransition,
  isAgentStatus,
  isTerminalStatus,
} from './agent-status.js';

/**
 * One lifecycle step of a worker, as appended to {@link AgentWorker.events}. Frozen.
 *
 * `kind` is the status transitioned to (the reference's name for it) and `status` the status after the
 * transition, so the two are always equal; `from` is the status before.
 */
export interface TransitionRecord {
  /** Position in the worker's history, from 1. */
  readonly seq: number;
  /** The status transitioned to. */
  readonly kind: AgentStatus;
  /** The status after the transition (equal to `kind`). */
  readonly status: AgentStatus;
  /** The status before the transition. */
  readonly from: AgentStatus;
  /** Free text given with the transition; absent when none was given. */
  readonly detail?: string;
  /** When the transition happened, ISO-8601 in UTC (`2026-01-02T03:04:05.678Z`). */
  readonly timestamp: string;
}

/** The last failure of a worker: the detail of its transition to `failed`. Frozen. */
export interface WorkerError {
  readonly message: string;
  /** ISO-8601 in UTC. */
  readonly timestamp: string;
}

/** Payload of {@link AgentWorker.onTransition}: fired once per transition, after the worker has changed. */
export interface WorkerTransition {
  readonly worker: AgentWorker;
  readonly from: AgentStatus;
  readonly to: AgentStatus;
  /** The record appended for this transition (the same object as the last entry of `worker.events`). */
  readonly record: TransitionRecord;
}

/** Options of {@link AgentWorker}. */
export interface AgentWorkerOptions {
  /** The agent's role (`planner`, `coder`, …). Non-empty. */
  role: string;
  /** The phase it works in (`design`, `build`, …). Non-empty. */
  phase: string;
  /** The project the work belongs to. A safe integer. */
  projectId?: number;
  /** Wall clock for record timestamps, epoch ms. Default `Date.now`. */
  clock?: WallClock;
  /**
   * Source of the 8 hex digits of the worker id, uniform in [0, 1). Default: the platform's
   * cryptographic random source (`crypto.getRandomValues`).
   */
  random?: () => number;
}

/** JSON form of a {@link TransitionRecord}. */
export interface TransitionRecordDict {
  seq: number;
  kind: AgentStatus;
  status: AgentStatus;
  from: AgentStatus;
  detail?: string;
  timestamp: string;
}

/** JSON form of an {@link AgentWorker} (snake_case, the wire contract). */
export interface AgentWorkerDict {
  worker_id: string;
  role: string;
  phase: string;
  project_id?: number;
  status: AgentStatus;
  retry_count: number;
  last_error: { message: string; timestamp: string } | null;
  events: TransitionRecordDict[];
}

/**
 * Thrown by {@link AgentWorker.transition} (and `AgentRegistry.transition`) for a transition the lifecycle
 * does not allow, including any transition out of a terminal status. The worker is left unchanged.
 *
 * @example
 * ```ts
 * try {
 *   worker.transition(AgentStatus.RUNNING);
 * } catch (err) {
 *   if (InvalidTransitionError.isInstance(err)) console.warn(err.from, '->', err.to, 'allowed:', err.allowed);
 * }
 * ```
 */
export class InvalidTransitionError extends AgentraceError {
  static override readonly errorName: string = 'InvalidTransitionError';

  /** The worker's status when the transition was asked for. */
  readonly from: AgentStatus;
  /** The status asked for. */
  readonly to: AgentStatus;
  /** The worker concerned. */
  readonly workerId: string;
  /** The statuses `from` may move to (empty when `from` is terminal). */
  readonly allowed: readonly AgentStatus[];

  constructor(init: { from: AgentStatus; to: AgentStatus; workerId: string }) {
    const allowed = allowedTransitions(init.from);
    const why = isTerminalStatus(init.from)
      ? `${init.from} is terminal`
      : `allowed from ${init.from}: ${allowed.join(', ')}`;
    super(`worker ${init.workerId} cannot transition from ${init.from} to ${init.to} (${why})`);
    this.from = init.from;
    this.to = init.to;
    this.workerId = init.workerId;
    this.allowed = allowed;
  }
}

/**
 * One agent's run through the lifecycle (see {@link AgentStatus}): its identity, current status, an
 * append-only history of transition records, a retry count and its last error.
 *
 * Every transition is checked against the lifecycle table, appended as a frozen {@link TransitionRecord}
 * and announced through {@link AgentWorker.onTransition}; a listener that throws is reported through the
 * OpenTelemetry `diag` logger and never undoes or breaks the transition.
 *
 * @example
 * ```ts
 * const worker = new AgentWorker({ role: 'coder', phase: 'build', projectId: 7 });
 * worker.onTransition(({ from, to }) => console.log(`${worker.workerId}: ${from} -> ${to}`));
 * worker.transition(AgentStatus.INITIALIZING);
 * worker.transition(AgentStatus.RUNNING);
 * worker.transition(AgentStatus.FAILED, 'model timed out');
 * worker.lastError; // { message: 'model timed out', timestamp: '…Z' }
 * ```
 */
export class AgentWorker {
  /** `${role}-${phase}-${8 hex digits}`. */
  readonly workerId: string;
  readonly role: string;
  readonly phase: string;
  readonly projectId?: number;

  /**
   * Fires after every transition, with the worker already in its new status.
   *
   * Listeners run synchronously in subscription order. A listener that transitions the worker again
   * fires its own round before the remaining listeners see the first one; each payload carries its own
   * `from`, `to` and `record`, so read those rather than `worker.status`.
   */
  readonly onTransition: Listener<WorkerTransition>;

  readonly #clock: WallClock;
  readonly #emitter = new Emitter<WorkerTransition>();
  readonly #records: TransitionRecord[] = [];
  // A frozen copy handed out by `events`, rebuilt lazily after a transition (a worker's history is short):
  // repeated reads cost nothing and callers can never reach the internal array.
  #recordsView: readonly TransitionRecord[] = Object.freeze([]);
  #status: AgentStatus = AgentStatus.IDLE;
  #retryCount = 0;
  #lastError: WorkerError | undefined;

  /**
   * @throws {ValidationError} `role` or `phase` is not a non-empty string, `projectId` is not a safe
   * integer, `clock` or `random` is not a function, or `random` returned a value outside [0, 1).
   */
  constructor(options: AgentWorkerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({ field: 'options', value: options, expected: 'an options object' });
    }
    this.role = requireText('role', options.role);
    this.phase = requireText('phase', options.phase);
    if (options.projectId !== undefined) this.projectId = requireProjectId(options.projectId);
    this.#clock = requireFunction('clock', options.clock) ?? systemWallClock;
    const random = requireFunction('random', options.random);
    this.workerId = `${this.role}-${this.phase}-${randomHex8(random)}`;
    this.onTransition = this.#emitter.event;
  }

  /** The current status. */
  get status(): AgentStatus {
    return this.#status;
  }

  /** Whether the worker is in a terminal status (`completed`, `failed`, `cancelled`). */
  get isTerminal(): boolean {
    return isTerminalStatus(this.#status);
  }

  /** Every transition so far, oldest first: a frozen array of frozen records. */
  get events(): readonly TransitionRecord[] {
    if (this.#recordsView.length !== this.#records.length) {
      this.#recordsView = Object.freeze(this.#records.slice());
    }
    return this.#recordsView;
  }

  /** How many retries were counted with {@link AgentWorker.incrementRetry}. */
  get retryCount(): number {
    return this.#retryCount;
  }

  /** The detail of the last transition to `failed` that carried one, with its time. */
  get lastError(): WorkerError | undefined {
    return this.#lastError;
  }

  /**
   * Counts one retry and returns the new count. Allowed in any status, so a retry that is recorded while
   * the worker is being failed is not lost.
   */
  incrementRetry(): number {
    this.#retryCount += 1;
    return this.#retryCount;
  }

  /**
   * Moves the worker to `to`, appends a record and notifies {@link AgentWorker.onTransition} listeners.
   * A transition to `failed` with a non-empty `detail` also sets {@link AgentWorker.lastError}.
   *
   * @returns The record appended.
   * @throws {InvalidTransitionError} The lifecycle does not allow `status → to` (the worker is unchanged).
   * @throws {ValidationError} `to` is not an {@link AgentStatus}, or `detail` is given but not a string.
   *
   * @example
   * ```ts
   * worker.transition(AgentStatus.INITIALIZING);
   * const record = worker.transition(AgentStatus.RUNNING, 'model warmed up');
   * record.seq; // 2
   * ```
   */
  transition(to: AgentStatus, detail?: string): TransitionRecord {
    if (!isAgentStatus(to)) {
      throw new ValidationError({ field: 'to', value: to, expected: 'an AgentStatus' });
    }
    if (detail !== undefined && typeof detail !== 'string') {
      throw new ValidationError({ field: 'detail', value: detail, expected: 'a string' });
    }
    const from = this.#status;
    if (!canTransition(from, to)) {
      throw new InvalidTransitionError({ from, to, workerId: this.workerId });
    }
    const timestamp = isoTimestamp(this.#clock);
    const record: TransitionRecord = Object.freeze({
      seq: this.#records.length + 1,
      kind: to,
      status: to,
      from,
      ...(detail === undefined ? {} : { detail }),
      timestamp,
    });
    this.#status = to;
    this.#records.push(record);
    if (to === AgentStatus.FAILED && detail) this.#lastError = Object.freeze({ message: detail, timestamp });
    if (this.#emitter.hasListeners) this.#emitter.emit({ worker: this, from, to, record });
    return record;
  }

  /**
   * The wire form (snake_case): `worker_id, role, phase, project_id` (only when set)`, status, retry_count,
   * last_error` (null when none)`, events`. A fresh object on every call.
   */
  toDict(): AgentWorkerDict {
    return {
      worker_id: this.workerId,
      role: this.role,
      phase: this.phase,
      ...(this.projectId === undefined ? {} : { project_id: this.projectId }),
      status: this.#status,
      retry_count: this.#retryCount,
      last_error: this.#lastError ? { ...this.#lastError } : null,
      events: this.#records.map((r) => ({ ...r })),
    };
  }

  /** Same as {@link AgentWorker.toDict}, so `JSON.stringify(worker)` gives the wire form. */
  toJSON(): AgentWorkerDict {
    return this.toDict();
  }
}

/** @internal A non-empty string, else a ValidationError naming `field`. */
export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError({ field, value, expected: 'a non-empty string' });
  }
  return value;
}

/** @internal A project id (a safe integer), else a ValidationError naming `projectId`. */
export function requireProjectId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationError({ field: 'projectId', value, expected: 'a safe integer' });
  }
  return value;
}

/** @internal An optional function, else a ValidationError naming `field`. */
export function requireFunction<F extends (...args: never[]) => unknown>(
  field: string,
  value: F | undefined,
): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ValidationError({ field, value, expected: 'a function' });
  }
  return value;
}

/**
 * @internal The wall clock's time as ISO-8601 UTC. A clock that returns something `Date` cannot render
 * would otherwise fail later with an anonymous "Invalid time value".
 */
export function isoTimestamp(clock: WallClock): string {
  const ms = clock();
  const date = new Date(ms);
  if (typeof ms !== 'number' || Number.isNaN(date.getTime())) {
    throw new ValidationError({
      field: 'clock',
      value: ms,
      expected: 'a function returning epoch milliseconds',
    });
  }
  return date.toISOString();
}

const HEX_SPACE = 0x1_0000_0000;

function randomHex8(random: (() => number) | undefined): string {
  let n: number;
  if (random === undefined) {
    n = globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
  } else {
    const r = random();
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) {
      throw new ValidationError({
        field: 'random',
        value: r,
        expected: 'a function returning a number in [0, 1)',
      });
    }
    n = Math.floor(r * HEX_SPACE);
  }
  return n.toString(16).padStart(8, '0');
}
