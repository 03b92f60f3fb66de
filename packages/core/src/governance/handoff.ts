import { ValidationError } from '@agentrace/pricing';
import type { WallClock } from '../common/clock.js';
import { systemWallClock } from '../common/clock.js';
import { isoTimestamp, requireFunction, requireProjectId, requireText } from '../lifecycle/agent-worker.js';

/** Options of {@link Handoff}. */
export interface HandoffInit {
  /** Role handing the work over. Non-empty. */
  sourceRole: string;
  /** Role taking it over. Non-empty. */
  targetRole: string;
  /** Phase the work is in. Non-empty. */
  phase: string;
  /** Why the work is handed over (may be empty). */
  reason: string;
  /**
   * What the target needs to carry on: plain data (structured-cloneable). Copied deeply, so later changes
   * to the caller's object do not reach the handoff. Default `{}`.
   */
  context?: Record<string, unknown>;
  /** The project the work belongs to. A safe integer. */
  projectId?: number;
  /** Id of the worker registered for the target role. Non-empty. */
  targetWorkerId: string;
  /** Wall clock for `createdAt`, epoch ms. Default `Date.now`. */
  clock?: WallClock;
}

/** JSON form of a {@link Handoff} (snake_case, the wire contract). */
export interface HandoffDict {
  source_role: string;
  target_role: string;
  phase: string;
  reason: string;
  context: Record<string, unknown>;
  project_id?: number;
  target_worker_id: string;
  created_at: string;
}

/**
 * An immutable record of work handed from one role to another: who, to whom, in which phase, why, with
 * what context, and which worker took it.
 *
 * The instance and its context are frozen (the context deeply: its nested objects and arrays too; the
 * contents of a `Map`, `Set`, `Date` or typed array in it cannot be frozen and should not be changed).
 *
 * @example
 * ```ts
 * const handoff = new Handoff({
 *   sourceRole: 'planner',
 *   targetRole: 'coder',
 *   phase: 'build',
 *   reason: 'plan approved',
 *   context: { plan: ['parse', 'emit'] },
 *   targetWorkerId: target.workerId,
 * });
 * JSON.stringify(handoff); // {"source_role":"planner","target_role":"coder",…}
 * ```
 */
export class Handoff {
  readonly sourceRole: string;
  readonly targetRole: string;
  readonly phase: string;
  readonly reason: string;
  /** A deep, frozen copy of the context given. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly projectId?: number;
  readonly targetWorkerId: string;
  /** When the handoff was made, ISO-8601 in UTC. */
  readonly createdAt: string;

  /**
   * @throws {ValidationError} A role, the phase or `targetWorkerId` is not a non-empty string, `reason` is
   * not a string, `context` is not a plain object of structured-cloneable data, `projectId` is not a safe
   * integer, or `clock` is not a function returning epoch milliseconds.
   */
  constructor(init: HandoffInit) {
    if (typeof init !== 'object' || init === null) {
      throw new ValidationError({ field: 'init', value: init, expected: 'an options object' });
    }
    this.sourceRole = requireText('sourceRole', init.sourceRole);
    this.targetRole = requireText('targetRole', init.targetRole);
    this.phase = requireText('phase', init.phase);
    if (typeof init.reason !== 'string') {
      throw new ValidationError({ field: 'reason', value: init.reason, expected: 'a string' });
    }
    this.reason = init.reason;
    this.context = copyContext(init.context === undefined ? {} : init.context);
    if (init.projectId !== undefined) this.projectId = requireProjectId(init.projectId);
    this.targetWorkerId = requireText('targetWorkerId', init.targetWorkerId);
    this.createdAt = isoTimestamp(requireFunction('clock', init.clock) ?? systemWallClock);
    Object.freeze(this);
  }

  /**
   * The wire form (snake_case): `source_role, target_role, phase, reason, context, project_id` (only when
   * set)`, target_worker_id, created_at`. The context is a fresh, mutable copy.
   */
  toDict(): HandoffDict {
    return {
      source_role: this.sourceRole,
      target_role: this.targetRole,
      phase: this.phase,
      reason: this.reason,
      context: structuredClone(this.context) as Record<string, unknown>,
      ...(this.projectId === undefined ? {} : { project_id: this.projectId }),
      target_worker_id: this.targetWorkerId,
      created_at: this.createdAt,
    };
  }

  /** Same as {@link Handoff.toDict}, so `JSON.stringify(handoff)` gives the wire form. */
  toJSON(): HandoffDict {
    return this.toDict();
  }
}

function copyContext(context: unknown): Readonly<Record<string, unknown>> {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new ValidationError({ field: 'context', value: context, expected: 'a plain object' });
  }
  let copy: Record<string, unknown>;
  try {
    copy = structuredClone(context) as Record<string, unknown>;
  } catch (err) {
    // A function, symbol or class instance with private state cannot be copied; name the field.
    throw new ValidationError({
      field: 'context',
      value: context,
      expected: `structured-cloneable data (${err instanceof Error ? err.message : String(err)})`,
    });
  }
  return deepFreeze(copy);
}

function deepFreeze<T>(value: T): T {
  // Typed arrays with elements cannot be frozen (the engine throws); they stay as copied.
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
