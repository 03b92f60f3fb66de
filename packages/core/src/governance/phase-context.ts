import { ValidationError } from '@agentrace/pricing';
import {
  type QualityLevel,
  type QualityLevelName,
  qualityLevelName,
  toQualityLevel,
} from './quality-gate.js';

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
