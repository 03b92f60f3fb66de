import { ValidationError } from '@agentrace/pricing';
import { isOneOf, type ValueOf } from '../common/wire.js';
import type { PolicyCondition } from './policy-conditions.js';
import {
  type QualityLevel,
  type QualityLevelName,
  qualityLevelName,
  toQualityLevel,
} from './quality-gate.js';

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

/**
 * The facts about a phase that policy conditions look at. Build one with {@link phaseContext} (from camelCase
 * fields, lists or sets) or {@link phaseContextFromDict} (from the snake_case JSON form).
 *
 * `gateScore`/`gateThreshold` are absent when no gate was scored; `gateBelow` then never matches, as an
 * absent `qualityLevel` never reaches a level.
 */
export interface PhaseContext {
  /** The phase's name (`''` when not given). */
  readonly phase: string;
  /** The quality level reached, if assessed. */
  readonly qualityLevel?: QualityLevel;
  /** The gate's score, if scored. */
  readonly gateScore?: number;
  /** The score the gate expects (used by `gateBelow()` without an explicit threshold). */
  readonly gateThreshold?: number;
  /** Roles whose agents completed. */
  readonly completedRoles: ReadonlySet<string>;
  /** Roles whose agents failed. */
  readonly failedRoles: ReadonlySet<string>;
  /** Every role taking part in the phase. */
  readonly allRoles: ReadonlySet<string>;
  /** Seconds since the phase started (fractional). */
  readonly elapsedSeconds: number;
  /** Failure scenarios whose recovery is exhausted (escalated). */
  readonly retryExhaustedScenarios: ReadonlySet<string>;
  /** Whether the phase's work is done. */
  readonly phaseCompleted: boolean;
  /** What the phase has cost so far, in USD. */
  readonly totalCostUsd: number;
}

/** The fields {@link phaseContext} accepts: any subset, roles and scenarios as any iterable of strings. */
export interface PhaseContextInit {
  phase?: string;
  qualityLevel?: QualityLevel | QualityLevelName | null;
  gateScore?: number | null;
  gateThreshold?: number | null;
  completedRoles?: Iterable<string>;
  failedRoles?: Iterable<string>;
  allRoles?: Iterable<string>;
  elapsedSeconds?: number;
  retryExhaustedScenarios?: Iterable<string>;
  phaseCompleted?: boolean;
  totalCostUsd?: number;
}

/** The snake_case JSON form of a {@link PhaseContext}, as in `vectors/policy.json`. */
export interface PhaseContextDict {
  phase?: string;
  quality_level: QualityLevelName | null;
  gate_score?: number;
  gate_threshold?: number;
  completed_roles: string[];
  failed_roles: string[];
  all_roles: string[];
  elapsed_seconds: number;
  retry_exhausted_scenarios: string[];
  phase_completed: boolean;
  total_cost_usd: number;
}

type FieldNames = { readonly [K in keyof PhaseContext]-?: string };

const CAMEL_FIELDS: FieldNames = {
  phase: 'phase',
  qualityLevel: 'qualityLevel',
  gateScore: 'gateScore',
  gateThreshold: 'gateThreshold',
  completedRoles: 'completedRoles',
  failedRoles: 'failedRoles',
  allRoles: 'allRoles',
  elapsedSeconds: 'elapsedSeconds',
  retryExhaustedScenarios: 'retryExhaustedScenarios',
  phaseCompleted: 'phaseCompleted',
  totalCostUsd: 'totalCostUsd',
};

const SNAKE_FIELDS: FieldNames = {
  phase: 'phase',
  qualityLevel: 'quality_level',
  gateScore: 'gate_score',
  gateThreshold: 'gate_threshold',
  completedRoles: 'completed_roles',
  failedRoles: 'failed_roles',
  allRoles: 'all_roles',
  elapsedSeconds: 'elapsed_seconds',
  retryExhaustedScenarios: 'retry_exhausted_scenarios',
  phaseCompleted: 'phase_completed',
  totalCostUsd: 'total_cost_usd',
};

/**
 * Builds a checked, frozen {@link PhaseContext}: lists become sets, and missing fields take their defaults
 * (no roles, nothing exhausted, 0 seconds, $0, not completed, no quality level, no gate score).
 *
 * @example
 * ```ts
 * const ctx = phaseContext({ phaseCompleted: true, qualityLevel: 'STANDARD', allRoles: ['writer', 'critic'] });
 * ```
 * @throws {ValidationError} a field has the wrong type or range (the field is named).
 */
export function phaseContext(init: PhaseContextInit = {}): PhaseContext {
  return normalize(init as Record<string, unknown>, CAMEL_FIELDS, 'context');
}

/**
 * Builds a {@link PhaseContext} from its snake_case JSON form (`quality_level` as a name or null). Unknown
 * keys are ignored.
 *
 * @example
 * ```ts
 * phaseContextFromDict({ phase_completed: true, quality_level: 'RELEASE', elapsed_seconds: 60.1 });
 * ```
 * @throws {ValidationError} `obj` is not an object, or a field has the wrong type or range.
 */
export function phaseContextFromDict(obj: unknown): PhaseContext {
  return normalize(obj, SNAKE_FIELDS, 'obj');
}

/**
 * The snake_case JSON form of a context; role and scenario lists sorted, so equal contexts give equal JSON.
 * `gate_score`/`gate_threshold` are left out when absent.
 */
export function phaseContextToDict(ctx: PhaseContext): PhaseContextDict {
  const sorted = (set: ReadonlySet<string>) => [...set].sort();
  const dict: PhaseContextDict = {
    phase: ctx.phase,
    quality_level: ctx.qualityLevel === undefined ? null : qualityLevelName(ctx.qualityLevel),
    completed_roles: sorted(ctx.completedRoles),
    failed_roles: sorted(ctx.failedRoles),
    all_roles: sorted(ctx.allRoles),
    elapsed_seconds: ctx.elapsedSeconds,
    retry_exhausted_scenarios: sorted(ctx.retryExhaustedScenarios),
    phase_completed: ctx.phaseCompleted,
    total_cost_usd: ctx.totalCostUsd,
  };
  if (ctx.gateScore !== undefined) dict.gate_score = ctx.gateScore;
  if (ctx.gateThreshold !== undefined) dict.gate_threshold = ctx.gateThreshold;
  return dict;
}

function normalize(input: unknown, names: FieldNames, whole: string): PhaseContext {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError({ field: whole, value: input, expected: 'an object' });
  }
  const source = input as Record<string, unknown>;
  const get = (key: keyof PhaseContext) => source[names[key]];

  const phase = get('phase') ?? '';
  if (typeof phase !== 'string') {
    throw new ValidationError({ field: names.phase, value: phase, expected: 'a string' });
  }
  const phaseCompleted = get('phaseCompleted') ?? false;
  if (typeof phaseCompleted !== 'boolean') {
    throw new ValidationError({ field: names.phaseCompleted, value: phaseCompleted, expected: 'a boolean' });
  }
  const rawLevel = get('qualityLevel');
  const qualityLevel = rawLevel == null ? undefined : toQualityLevel(rawLevel, names.qualityLevel);
  const gateScore = optionalNumber(get('gateScore'), names.gateScore);
  const gateThreshold = optionalNumber(get('gateThreshold'), names.gateThreshold);

  const ctx: PhaseContext = {
    phase,
    ...(qualityLevel === undefined ? {} : { qualityLevel }),
    ...(gateScore === undefined ? {} : { gateScore }),
    ...(gateThreshold === undefined ? {} : { gateThreshold }),
    completedRoles: stringSet(get('completedRoles'), names.completedRoles),
    failedRoles: stringSet(get('failedRoles'), names.failedRoles),
    allRoles: stringSet(get('allRoles'), names.allRoles),
    elapsedSeconds: nonNegative(get('elapsedSeconds'), names.elapsedSeconds),
    retryExhaustedScenarios: stringSet(get('retryExhaustedScenarios'), names.retryExhaustedScenarios),
    phaseCompleted,
    totalCostUsd: nonNegative(get('totalCostUsd'), names.totalCostUsd),
  };
  return Object.freeze(ctx);
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value == null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError({ field, value, expected: 'a finite number' });
  }
  return value;
}

function nonNegative(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError({ field, value, expected: 'a finite number >= 0' });
  }
  return value;
}

function stringSet(value: unknown, field: string): ReadonlySet<string> {
  if (value == null) return new Set();
  // A string is iterable too; taking it as a set of characters would silently match nothing useful.
  if (typeof value === 'string' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ValidationError({ field, value, expected: 'an array or set of strings' });
  }
  const set = new Set<string>();
  let i = 0;
  for (const item of value as Iterable<unknown>) {
    if (typeof item !== 'string') {
      throw new ValidationError({ field: `${field}[${i}]`, value: item, expected: 'a string' });
    }
    set.add(item);
    i++;
  }
  return set;
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
