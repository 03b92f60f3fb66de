import { ValidationError } from '@agentrace/pricing';
import type { ValueOf } from '../common/wire.js';

/**
 * How good a phase's output is, as ordered numbers (`MINIMAL < STANDARD < STRICT < RELEASE`) so levels
 * compare with `>=`. JSON forms write the upper-case name (see {@link qualityLevelName}).
 *
 * @example
 * ```ts
 * const gate = new QualityGate(QualityLevel.STRICT);
 * gate.evaluate(QualityLevel.RELEASE).satisfied; // true
 * ```
 */
export const QualityLevel = { MINIMAL: 1, STANDARD: 2, STRICT: 3, RELEASE: 4 } as const;
export type QualityLevel = ValueOf<typeof QualityLevel>;

/** The wire name of a {@link QualityLevel}: `'MINIMAL' | 'STANDARD' | 'STRICT' | 'RELEASE'`. */
export type QualityLevelName = keyof typeof QualityLevel;

const LEVEL_NAMES = Object.keys(QualityLevel) as QualityLevelName[];
const LEVEL_EXPECTED = `a QualityLevel (1–4) or its name (${LEVEL_NAMES.join(', ')})`;

/**
 * The wire name of a quality level.
 *
 * @example
 * ```ts
 * qualityLevelName(QualityLevel.STANDARD); // 'STANDARD'
 * ```
 * @throws {ValidationError} `level` is not one of the {@link QualityLevel} values.
 */
export function qualityLevelName(level: QualityLevel): QualityLevelName {
  const name = LEVEL_NAMES.find((n) => QualityLevel[n] === level);
  if (name === undefined)
    throw new ValidationError({ field: 'level', value: level, expected: LEVEL_EXPECTED });
  return name;
}

/**
 * Parses a quality level name, case-insensitively (`'STANDARD'`, `'standard'`).
 *
 * @example
 * ```ts
 * parseQualityLevel('release'); // QualityLevel.RELEASE (4)
 * ```
 * @throws {ValidationError} `name` names no level.
 */
export function parseQualityLevel(name: string): QualityLevel {
  return toQualityLevel(name, 'level');
}

/**
 * Accepts a level number or a name; anything else is a {@link ValidationError} naming `field`. Shared with the
 * policy conditions and contexts, which take levels from users and from JSON.
 *
 * @internal
 */
export function toQualityLevel(value: unknown, field: string): QualityLevel {
  if (typeof value === 'number' && LEVEL_NAMES.some((n) => QualityLevel[n] === value)) {
    return value as QualityLevel;
  }
  if (typeof value === 'string') {
    const key = value.toUpperCase();
    if (Object.hasOwn(QualityLevel, key)) return QualityLevel[key as QualityLevelName];
  }
  throw new ValidationError({ field, value, expected: LEVEL_EXPECTED });
}

/** The JSON form of a {@link QualityGateResult}. */
export interface QualityGateResultDict {
  satisfied: boolean;
  required_level: QualityLevelName;
  /** `null` when no level was observed. */
  observed_level: QualityLevelName | null;
}

/** What a {@link QualityGate} decided. */
export interface QualityGateResult {
  /** Whether the observed level reaches the required one; never when nothing was observed. */
  readonly satisfied: boolean;
  /** The gate's required level. */
  readonly requiredLevel: QualityLevel;
  /** The level observed, `undefined` when absent. */
  readonly observedLevel: QualityLevel | undefined;
  /** The wire form, levels as names, `observed_level` null when absent. */
  toDict(): QualityGateResultDict;
  /** Same as `toDict`, so `JSON.stringify` writes the wire form. */
  toJSON(): QualityGateResultDict;
}

/**
 * Checks an observed quality level against a required one: satisfied when observed ≥ required. An absent
 * level never satisfies, so a phase that produced no assessment does not pass by default.
 *
 * @example
 * ```ts
 * const gate = new QualityGate(QualityLevel.STANDARD);
 * gate.evaluate(QualityLevel.MINIMAL).toDict();
 * // { satisfied: false, required_level: 'STANDARD', observed_level: 'MINIMAL' }
 * gate.evaluate().satisfied; // false
 * ```
 */
export class QualityGate {
  /** The level a phase must reach. */
  readonly required: QualityLevel;

  /** @throws {ValidationError} `required` is not a quality level (a name is accepted too). */
  constructor(required: QualityLevel | QualityLevelName) {
    this.required = toQualityLevel(required, 'required');
  }

  /**
   * Decides whether `observed` reaches the required level.
   *
   * @throws {ValidationError} `observed` is given but not a quality level.
   */
  evaluate(observed?: QualityLevel | QualityLevelName | null): QualityGateResult {
    const observedLevel = observed == null ? undefined : toQualityLevel(observed, 'observed');
    const requiredLevel = this.required;
    const satisfied = observedLevel !== undefined && observedLevel >= requiredLevel;
    const toDict = (): QualityGateResultDict => ({
      satisfied,
      required_level: qualityLevelName(requiredLevel),
      observed_level: observedLevel === undefined ? null : qualityLevelName(observedLevel),
    });
    return Object.freeze({ satisfied, requiredLevel, observedLevel, toDict, toJSON: toDict });
  }
}
