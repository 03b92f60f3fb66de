import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { fromMicroUsd, MICRO_USD_PER_USD, toMicroUsd } from './micro-usd.js';

describe('micro-dollars', () => {
  it('rounds costs to the nearest µUSD and reservations up, ignoring float noise', () => {
    expect(toMicroUsd(0.0075)).toBe(7500);
    expect(toMicroUsd(0.0045)).toBe(4500);
    expect(toMicroUsd(0.0045, 'up')).toBe(4500); // 0.0045 * 1e6 is 4500.000000000001
    expect(toMicroUsd(0.0075, 'up')).toBe(7500); // and 0.0075 * 1e6 is 7499.999999999999
    expect(toMicroUsd(0.0000004)).toBe(0);
    expect(toMicroUsd(0.0000004, 'up')).toBe(1);
    expect(toMicroUsd(0.0000015)).toBe(2);
    expect(toMicroUsd(0)).toBe(0);
    expect(fromMicroUsd(toMicroUsd(12.345678))).toBe(12.345678);
    expect(MICRO_USD_PER_USD).toBe(1_000_000);
  });

  it('sums without drift where floats drift', () => {
    let usd = 0;
    let micros = 0;
    for (let i = 0; i < 1000; i++) {
      usd += 0.0001;
      micros += toMicroUsd(0.0001);
    }
    expect(usd).not.toBe(0.1);
    expect(micros).toBe(100_000);
  });

  it.each([-0.01, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number, 1e10])(
    'refuses %s, naming usd',
    (value) => {
      expect(() => toMicroUsd(value)).toThrow(ValidationError);
      try {
        toMicroUsd(value);
      } catch (err) {
        expect((err as ValidationError).field).toBe('usd');
      }
    },
  );
});
