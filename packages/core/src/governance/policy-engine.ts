import { ValidationError } from '@agentrace/pricing';
import { isOneOf, type ValueOf } from '../common/wire.js';
import { type PhaseContextInit, phaseContext } from './phase-context.js';
import type { PolicyCondition } from './policy-conditions.js';

/** What a matching policy rule asks the orchestration to do (wire values). */
export const PolicyAction = {
  ADVANCE_PHASE: 'advance_phase',
  RETRY_AGENT: 'retry_agent',
  RETRY_PHASE: 'retry_phase',
  RECOVER_ONCE: 'recover_once',
  ESCALATE: 'escalate',
  STORE_GATE_FEEDBACK: 'store_gate_feedback',
  GENERATE_HANDOFF: 'generate_handoff',
  NOTIFY: 'notify',
  ABORT_PHASE: 'abort_phase',
} as const;
export type PolicyAction = ValueOf<typeof PolicyAction>;

/** An action with its optional parameters (free-form, for the code that carries the action out). */
export interface PolicyActionData {
  readonly action: PolicyAction;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** The JSON form of a {@link PolicyActionData}, as in `vectors/policy.json`. */
export interface PolicyActionDict {
  action: PolicyAction;
  params?: Record<string, unknown>;
}

/**
 * The wire form of an action: `action`, and `params` only when there are any.
 *
 * @example
 * ```ts
 * policyActionToDict({ action: PolicyAction.ABORT_PHASE, params: { reason: 'timeout' } });
 * // { action: 'abort_phase', params: { reason: 'timeout' } }
 * ```
 */
export function policyActionToDict(action: PolicyActionData): PolicyActionDict {
  const params = action.params;
  return params === undefined || Object.keys(params).length === 0
    ? { action: action.action }
    : { action: action.action, params: { ...params } };
}

/**
 * Builds a checked, frozen action.
 *
 * @example
 * ```ts
 * const abort = policyAction(PolicyAction.ABORT_PHASE, { reason: 'timeout' });
 * ```
 * @throws {ValidationError} `action` is not a {@link PolicyAction}, or `params` is not a plain object.
 */
export function policyAction(
  action: PolicyAction,
  params?: Readonly<Record<string, unknown>>,
): PolicyActionData {
  return toAction(params === undefined ? { action } : { action, params }, 'action');
}

/** Default priority of a rule that gives none. */
export const DEFAULT_RULE_PRIORITY = 50;

/**
 * A declarative rule: when `condition` matches a phase's context, `actions` apply. Lower `priority` values
 * come first (default 50); rules of equal priority keep their given order.
 *
 * @example
 * ```ts
 * const rule: PolicyRule = {
 *   name: 'advance',
 *   condition: and([phaseCompleted(), qualityAt(QualityLevel.STANDARD)]),
 *   actions: [{ action: PolicyAction.ADVANCE_PHASE }],
 *   priority: 10,
 * };
 * ```
 */
export interface PolicyRule {
  readonly name: string;
  readonly condition: PolicyCondition;
  readonly actions: readonly PolicyActionData[];
  readonly priority?: number;
}

/** A rule as held by a {@link PolicyEngine}: checked, frozen, priority filled in. */
export interface ResolvedPolicyRule extends PolicyRule {
  readonly priority: number;
}

function toAction(value: unknown, field: string): PolicyActionData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError({ field, value, expected: 'an object { action, params? }' });
  }
  const { action, params } = value as Record<string, unknown>;
  if (!isOneOf(PolicyAction, action)) {
    throw new ValidationError({
      field: `${field}.action`,
      value: action,
      expected: `one of ${Object.values(PolicyAction).join(', ')}`,
    });
  }
  if (params === undefined) return Object.freeze({ action });
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ValidationError({ field: `${field}.params`, value: params, expected: 'a plain object' });
  }
  return Object.freeze({ action, params: Object.freeze({ ...(params as Record<string, unknown>) }) });
}

function toRule(value: unknown, field: string): ResolvedPolicyRule {
  if (typeof value !== 'object' || value === null) {
    throw new ValidationError({ field, value, expected: 'a PolicyRule object' });
  }
  const { name, condition, actions, priority = DEFAULT_RULE_PRIORITY } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') {
    throw new ValidationError({ field: `${field}.name`, value: name, expected: 'a non-empty string' });
  }
  if (
    typeof condition !== 'object' ||
    condition === null ||
    typeof (condition as { matches?: unknown }).matches !== 'function'
  ) {
    throw new ValidationError({
      field: `${field}.condition`,
      value: condition,
      expected: 'a PolicyCondition (an object with a matches(ctx) method)',
    });
  }
  if (!Array.isArray(actions)) {
    throw new ValidationError({ field: `${field}.actions`, value: actions, expected: 'an array of actions' });
  }
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new ValidationError({ field: `${field}.priority`, value: priority, expected: 'a finite number' });
  }
  return Object.freeze({
    name,
    condition: condition as PolicyCondition,
    actions: Object.freeze(actions.map((a: unknown, i) => toAction(a, `${field}.actions[${i}]`))),
    priority,
  });
}

/**
 * Evaluates declarative rules against a phase's context. Rules are sorted by priority (lower first; equal
 * priorities keep their given order); `evaluate` returns the actions of every matching rule, in that order.
 * A condition that throws is a bug in the condition: its error propagates as it is.
 *
 * @example
 * ```ts
 * const engine = new PolicyEngine([
 *   { name: 'timeout', condition: timedOut(60), actions: [policyAction('abort_phase', { reason: 'timeout' })], priority: 1 },
 *   { name: 'advance', condition: and([phaseCompleted(), qualityAt(QualityLevel.STANDARD)]), actions: [{ action: 'advance_phase' }] },
 * ]);
 * engine.evaluate({ phaseCompleted: true, qualityLevel: 'STRICT', elapsedSeconds: 12 });
 * // [{ action: 'advance_phase' }]
 * ```
 */
export class PolicyEngine {
  readonly #rules: readonly ResolvedPolicyRule[];

  /** @throws {ValidationError} a rule is malformed (the field names the rule's index, e.g. `rules[2].priority`). */
  constructor(rules: Iterable<PolicyRule>) {
    if (rules == null || typeof (rules as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ValidationError({ field: 'rules', value: rules, expected: 'an array of PolicyRule' });
    }
    const resolved = [...rules].map((rule: unknown, i) => toRule(rule, `rules[${i}]`));
    // Array.prototype.sort is stable, which keeps the given order among equal priorities.
    this.#rules = Object.freeze(resolved.sort((a, b) => a.priority - b.priority));
  }

  /** The rules in evaluation order, priorities filled in. */
  get rules(): readonly ResolvedPolicyRule[] {
    return this.#rules;
  }

  /**
   * The rules whose condition matches `ctx`, in evaluation order (for explaining a decision).
   *
   * @throws {ValidationError} `ctx` has a malformed field.
   */
  matchingRules(ctx: PhaseContextInit = {}): ResolvedPolicyRule[] {
    const context = phaseContext(ctx);
    return this.#rules.filter((rule) => rule.condition.matches(context));
  }

  /**
   * Every matching rule's actions, in rule order then action order.
   *
   * @throws {ValidationError} `ctx` has a malformed field.
   */
  evaluate(ctx: PhaseContextInit = {}): PolicyActionData[] {
    return this.matchingRules(ctx).flatMap((rule) => rule.actions);
  }
}
