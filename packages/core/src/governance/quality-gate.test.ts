import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { parseQualityLevel, QualityGate, QualityLevel, qualityLevelName } from './quality-gate.js';

const LEVELS = [QualityLevel.MINIMAL, QualityLevel.STANDARD, QualityLevel.STRICT, QualityLevel.RELEASE];

describe('QualityLevel', () => {
  it('is ordered and named', () => {
    expect(LEVELS).toEqual([1, 2, 3, 4]);
    expect(LEVELS.map(qualityLevelName)).toEqual(['MINIMAL', 'STANDARD', 'STRICT', 'RELEASE']);
  });

  it('parses names case-insensitively', () => {
    expect(parseQualityLevel('STRICT')).toBe(QualityLevel.STRICT);
    expect(parseQualityLevel('release')).toBe(QualityLevel.RELEASE);
  });

  it('rejects unknown levels with a ValidationError naming the field', () => {
    expect(() => qualityLevelName(0 as QualityLevel)).toThrow(ValidationError);
    let err: unknown;
    try {
      parseQualityLevel('excellent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'level', value: 'excellent' });
    expect(() => parseQualityLevel('toString')).toThrow(ValidationError);
  });
});

describe('QualityGate', () => {
  it('is satisfied exactly when observed >= required, for every pair', () => {
    for (const required of LEVELS) {
      const gate = new QualityGate(required);
      for (const observed of LEVELS) {
        const result = gate.evaluate(observed);
        expect(result.satisfied, `${observed} vs ${required}`).toBe(observed >= required);
        expect(result.requiredLevel).toBe(required);
        expect(result.observedLevel).toBe(observed);
      }
    }
  });

  it('is never satisfied by an absent level, even at MINIMAL', () => {
    const gate = new QualityGate(QualityLevel.MINIMAL);
    for (const absent of [undefined, null]) {
      const result = gate.evaluate(absent);
      expect(result.satisfied).toBe(false);
      expect(result.observedLevel).toBeUndefined();
      expect(result.toDict()).toStrictEqual({
        satisfied: false,
        required_level: 'MINIMAL',
        observed_level: null,
      });
    }
  });

  it('writes levels as names in toDict and JSON', () => {
    const result = new QualityGate(QualityLevel.STANDARD).evaluate(QualityLevel.RELEASE);
    const expected = { satisfied: true, required_level: 'STANDARD', observed_level: 'RELEASE' };
    expect(result.toDict()).toStrictEqual(expected);
    expect(JSON.parse(JSON.stringify(result))).toStrictEqual(expected);
    expect(Object.isFrozen(result)).toBe(true);
  });

  it('accepts names', () => {
    const gate = new QualityGate('STRICT');
    expect(gate.required).toBe(QualityLevel.STRICT);
    expect(gate.evaluate('STANDARD').satisfied).toBe(false);
  });

  it('rejects bad levels naming the field', () => {
    expect(() => new QualityGate(5 as QualityLevel)).toThrow(
      expect.objectContaining({ field: 'required', value: 5 }),
    );
    expect(() => new QualityGate(QualityLevel.MINIMAL).evaluate('great' as 'STRICT')).toThrow(
      expect.objectContaining({ field: 'observed' }),
    );
  });
});
