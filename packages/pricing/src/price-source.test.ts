import { describe, expect, it } from 'vitest';
import { validateModelPricing } from './model-pricing.js';
import { StaticPriceSource } from './price-source.js';

const price = (n: number) => validateModelPricing({ inputPerMillion: n, outputPerMillion: n });

describe('StaticPriceSource', () => {
  it('matches exactly, then by the longest registered prefix, case-insensitively', () => {
    const s = new StaticPriceSource('test');
    s.set('GPT-4o', price(1));
    s.set('gpt-4o-mini', price(2));
    s.set('gpt', price(3));
    expect(s.lookup('gpt-4o')).toEqual({ pricing: price(1), matchedModel: 'GPT-4o' });
    expect(s.lookup('gpt-4o-mini-2024-07-18')?.matchedModel).toBe('gpt-4o-mini');
    expect(s.lookup('gpt-4o-2024-08-06')?.matchedModel).toBe('GPT-4o');
    expect(s.lookup('gpt-5')?.matchedModel).toBe('gpt');
    expect(s.lookup('claude')).toBeUndefined();
    expect(s.lookup('gp')).toBeUndefined();
    expect(s.hasExact('Gpt-4O-Mini')).toBe(true);
    expect(s.hasExact('gpt-4o-mini-x')).toBe(false);
    expect(s.size).toBe(3);
  });

  it('a model is not a prefix of a shorter name', () => {
    const s = new StaticPriceSource('test');
    s.set('model-a-mini', price(1));
    expect(s.lookup('model-a')).toBeUndefined();
  });

  it('re-registering replaces, clear forgets everything', () => {
    const s = new StaticPriceSource('test');
    s.set('m', price(1));
    s.set('M', price(2));
    expect(s.size).toBe(1);
    expect(s.lookup('m-1')).toEqual({ pricing: price(2), matchedModel: 'M' });
    s.clear();
    expect(s.size).toBe(0);
    expect(s.lookup('m')).toBeUndefined();
    expect(s.lookup('m-1')).toBeUndefined();
  });
});
