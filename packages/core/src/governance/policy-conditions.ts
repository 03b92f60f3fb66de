import { ValidationError } from '@agentrace/pricing';
import type { PhaseContext } from './phase-context.js';
import {
  type QualityLevel,
  type QualityLevelName,
  qualityLevelName,
  toQualityLevel,
} from './quality-gate.js';

/**
 * A predicate over a {@link PhaseContext}. `toString()` describes it in the reference's notation (as in the
 * `rule_table` of `vectors/policy.json`), for logs and telemetry. Write your own as a plain object.
 *
 * @example
 * ```ts
 * const criticFailed: PolicyCondition = {
 *   matches: (ctx) => ctx.failedRoles.has('critic'),
 *   toString: () => 'CriticFailed()',
 * };
 * ```
 */
export interface PolicyCondition {
  matches(ctx: PhaseContext): boolean;
  toString(): string;
}

function condition(description: string, matches: (ctx: PhaseContext) => boolean): PolicyCondition {
  return Object.freeze({ matches, toString: () => description });
}

/** A float the way the reference prints it: integers keep a `.0` (`5.0`), others as they are (`0.7`). */
function pyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function pyOptionalString(value: string | undefined): string {
  return value === undefined ? 'None' : `'${value}'`;
}

function checkConditions(conditions: readonly PolicyCondition[]): readonly PolicyCondition[] {
  if (!Array.isArray(conditions)) {
    throw new ValidationError({ field: 'conditions', value: conditions, expected: 'an array of conditions' });
  }
  conditions.forEach((c: unknown, i) => {
    if (typeof c !== 'object' || c === null || typeof (c as { matches?: unknown }).matches !== 'function') {
      throw new ValidationError({
        field: `conditions[${i}]`,
        value: c,
        expected: 'a PolicyCondition (an object with a matches(ctx) method)',
      });
    }
  });
  return Object.freeze([...conditions]);
}

function checkNumber(value: number, field: string, min = Number.NEGATIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    const expected = min === 0 ? 'a finite number >= 0' : 'a finite number';
    throw new ValidationError({ field, value, expected });
  }
  return value;
}

function checkOptionalName(value: string | undefined, field: string): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new ValidationError({ field, value, expected: 'a non-empty string or undefined' });
  }
  return value;
}

/**
 * Matches when every condition matches (evaluated in order, stopping at the first miss). An empty list
 * matches: `and([])` is a rule that always fires.
 *
 * @example
 * ```ts
 * and([phaseCompleted(), qualityAt(QualityLevel.STANDARD)]).toString();
 * // 'And([PhaseCompleted(), QualityAt(STANDARD)])'
 * ```
 * @throws {ValidationError} `conditions` is not an array of conditions.
 */
export function and(conditions: readonly PolicyCondition[]): PolicyCondition {
  const all = checkConditions(conditions);
  return condition(`And([${all.map(String).join(', ')}])`, (ctx) => all.every((c) => c.matches(ctx)));
}

/**
 * Matches when any condition matches (evaluated in order, stopping at the first hit). An empty list never
 * matches.
 *
 * @throws {ValidationError} `conditions` is not an array of conditions.
 */
export function or(conditions: readonly PolicyCondition[]): PolicyCondition {
  const any = checkConditions(conditions);
  return condition(`Or([${any.map(String).join(', ')}])`, (ctx) => any.some((c) => c.matches(ctx)));
}

/**
 * Matches when the context's quality level is at least `level`; never when it has none.
 *
 * @example
 * ```ts
 * qualityAt(QualityLevel.STANDARD).matches(phaseContext({ qualityLevel: 'RELEASE' })); // true
 * ```
 * @throws {ValidationError} `level` is not a quality level (a name is accepted too).
 */
export function qualityAt(level: QualityLevel | QualityLevelName): PolicyCondition {
  const required = toQualityLevel(level, 'level');
  return condition(
    `QualityAt(${qualityLevelName(required)})`,
    (ctx) => ctx.qualityLevel !== undefined && ctx.qualityLevel >= required,
  );
}

/** Matches when the context says the phase's work is done. */
export function phaseCompleted(): PolicyCondition {
  return condition('PhaseCompleted()', (ctx) => ctx.phaseCompleted);
}

/**
 * Matches when `role` failed, or, without a role, when any role failed.
 *
 * @throws {ValidationError} `role` is given but not a non-empty string.
 */
export function agentFailed(role?: string): PolicyCondition {
  const name = checkOptionalName(role, 'role');
  return condition(`AgentFailed(role=${pyOptionalString(name)})`, (ctx) =>
    name === undefined ? ctx.failedRoles.size > 0 : ctx.failedRoles.has(name),
  );
}

/**
 * Matches when the gate score is strictly below `threshold` (a score equal to it passes). Without a
 * threshold, the context's own `gateThreshold` is used. Never matches when the context has no score (or,
 * without a threshold here, no `gateThreshold`).
 *
 * @example
 * ```ts
 * gateBelow(0.7).matches(phaseContext({ gateScore: 0.69 })); // true
 * gateBelow(0.7).matches(phaseContext({ gateScore: 0.7 }));  // false
 * ```
 * @throws {ValidationError} `threshold` is given but not a finite number.
 */
export function gateBelow(threshold?: number): PolicyCondition {
  if (threshold === undefined) {
    return condition('GateBelow(threshold)', (ctx) =>
      ctx.gateScore === undefined || ctx.gateThreshold === undefined
        ? false
        : ctx.gateScore < ctx.gateThreshold,
    );
  }
  const x = checkNumber(threshold, 'threshold');
  return condition(`GateBelow(${pyFloat(x)})`, (ctx) => ctx.gateScore !== undefined && ctx.gateScore < x);
}

/**
 * Matches when recovery for `scenario` is exhausted, or, without a scenario, when any is. Scenarios are the
 * `FailureScenario` wire strings (`'llm_timeout'`, …).
 *
 * @throws {ValidationError} `scenario` is given but not a non-empty string.
 */
export function retryExhausted(scenario?: string): PolicyCondition {
  const name = checkOptionalName(scenario, 'scenario');
  return condition(`RetryExhausted(scenario=${pyOptionalString(name)})`, (ctx) =>
    name === undefined ? ctx.retryExhaustedScenarios.size > 0 : ctx.retryExhaustedScenarios.has(name),
  );
}

/**
 * Matches when the phase has run strictly longer than `seconds` (exactly `seconds` is not timed out).
 *
 * @example
 * ```ts
 * timedOut(60).matches(phaseContext({ elapsedSeconds: 60 }));   // false
 * timedOut(60).matches(phaseContext({ elapsedSeconds: 60.1 })); // true
 * ```
 * @throws {ValidationError} `seconds` is not a finite number >= 0.
 */
export function timedOut(seconds: number): PolicyCondition {
  const limit = checkNumber(seconds, 'seconds', 0);
  return condition(`TimedOut(${limit}s)`, (ctx) => ctx.elapsedSeconds > limit);
}

/**
 * Matches when every role has finished, completed or failed: completed ∪ failed equals all roles. Note that
 * with no roles at all (and none finished) the sets are equal, so it matches.
 */
export function allAgentsComplete(): PolicyCondition {
  return condition('AllAgentsComplete()', (ctx) => {
    const finished = new Set([...ctx.completedRoles, ...ctx.failedRoles]);
    if (finished.size !== ctx.allRoles.size) return false;
    for (const role of ctx.allRoles) if (!finished.has(role)) return false;
    return true;
  });
}

/**
 * Matches when the phase has cost strictly more than `usd` (exactly `usd` is within budget).
 *
 * @example
 * ```ts
 * costExceeded(5).toString(); // 'CostExceeded($5.0)'
 * ```
 * @throws {ValidationError} `usd` is not a finite number >= 0.
 */
export function costExceeded(usd: number): PolicyCondition {
  const limit = checkNumber(usd, 'usd', 0);
  return condition(`CostExceeded($${pyFloat(limit)})`, (ctx) => ctx.totalCostUsd > limit);
}
