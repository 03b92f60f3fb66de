import type { ValueOf } from '../common/wire.js';

/**
 * Lifecycle status of an {@link AgentWorker}, as written on the wire.
 *
 * A worker starts `idle`, goes through `initializing` to `running` (possibly pausing in `waiting_for_input`)
 * and ends in one of the terminal statuses `completed`, `failed` or `cancelled`.
 *
 * @example
 * ```ts
 * worker.transition(AgentStatus.INITIALIZING);
 * worker.transition(AgentStatus.RUNNING);
 * ```
 */
export const AgentStatus = {
  IDLE: 'idle',
  INITIALIZING: 'initializing',
  WAITING_FOR_INPUT: 'waiting_for_input',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
} as const;
export type AgentStatus = ValueOf<typeof AgentStatus>;

const { IDLE, INITIALIZING, WAITING_FOR_INPUT, RUNNING, COMPLETED, FAILED, CANCELLED } = AgentStatus;

/** The statuses a worker never leaves: `completed`, `failed`, `cancelled`. */
export const TERMINAL_STATUSES: readonly AgentStatus[] = Object.freeze([COMPLETED, FAILED, CANCELLED]);

/*
 * The reference's transition table, written out cell by cell rather than derived, so that a change to it is
 * a visible edit checked against vectors/lifecycle.json. Failing and cancelling are possible from every
 * non-terminal status; `completed` only from `running`; nothing leaves a terminal status; no self-loops.
 */
const TRANSITIONS: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = Object.freeze({
  [IDLE]: Object.freeze([INITIALIZING, FAILED, CANCELLED]),
  [INITIALIZING]: Object.freeze([RUNNING, WAITING_FOR_INPUT, FAILED, CANCELLED]),
  [WAITING_FOR_INPUT]: Object.freeze([RUNNING, FAILED, CANCELLED]),
  [RUNNING]: Object.freeze([WAITING_FOR_INPUT, COMPLETED, FAILED, CANCELLED]),
  [COMPLETED]: Object.freeze([]),
  [FAILED]: Object.freeze([]),
  [CANCELLED]: Object.freeze([]),
});

/**
 * Whether `value` is one of the {@link AgentStatus} wire strings.
 *
 * @example
 * ```ts
 * isAgentStatus('running'); // true
 * isAgentStatus('done');    // false
 * ```
 */
export function isAgentStatus(value: unknown): value is AgentStatus {
  return typeof value === 'string' && Object.hasOwn(TRANSITIONS, value);
}

/**
 * Whether `status` is terminal (`completed`, `failed` or `cancelled`). Unknown strings are not terminal.
 *
 * @example
 * ```ts
 * isTerminalStatus(AgentStatus.FAILED);  // true
 * isTerminalStatus(AgentStatus.RUNNING); // false
 * ```
 */
export function isTerminalStatus(status: AgentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The statuses a worker in `from` may move to, in a fixed order. Empty for a terminal or unknown status.
 *
 * @example
 * ```ts
 * allowedTransitions(AgentStatus.IDLE); // ['initializing', 'failed', 'cancelled']
 * ```
 */
export function allowedTransitions(from: AgentStatus): readonly AgentStatus[] {
  return isAgentStatus(from) ? TRANSITIONS[from] : TRANSITIONS[COMPLETED];
}

/**
 * Whether a worker may move from `from` to `to`. Unknown statuses (from untyped callers) are never allowed.
 *
 * @example
 * ```ts
 * canTransition('running', 'completed'); // true
 * canTransition('idle', 'running');      // false: a worker initializes first
 * canTransition('failed', 'running');    // false: terminal statuses are final
 * ```
 */
export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return allowedTransitions(from).includes(to);
}
