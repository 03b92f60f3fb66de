// Short variant of the non-Error-throws case: each kind once (`pnpm reliability` throws each a thousand times).
import { describe, expect, it } from 'vitest';
import { NON_ERROR_THROWS, nonErrorThrowsCase, throwFromTurn } from './non-error-throws.js';

describe('non-Error throws from user code', () => {
  it.each(NON_ERROR_THROWS)(
    'runTurn: %s is rethrown as is and the span records an error.type',
    async (kind, value) => {
      const o = await throwFromTurn(kind, value);
      expect(o.rethrownAsIs).toBe(true);
      expect(o.errorSpans).toBeGreaterThan(0);
      expect(o.typedErrorSpans).toBe(o.errorSpans);
    },
  );

  it('the case row (short mode) survives', async () => {
    const result = await nonErrorThrowsCase.run({ long: false });
    expect(result.survived, result.detail).toBe(true);
  });
});
