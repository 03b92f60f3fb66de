import type { TokenUsage } from '@agentrace/pricing';
import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { UsageSnapshot } from './usage-snapshot.js';

const MEMBERS = ['inputTokens', 'outputTokens', 'cacheWriteTokens', 'cacheReadTokens'] as const;
const KEYS = ['input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_read_tokens'] as const;
const BAD: [string, unknown][] = [
  ['negative', -1],
  ['fractional', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['a string', '10'],
  ['above MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
  ['null', null],
  ['a bigint', 10n],
  ['an object', { value: 1 }],
];

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('UsageSnapshot', () => {
  it('defaults every count to 0', () => {
    const u = new UsageSnapshot();
    expect(u.toDict()).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
    expect(u.isEmpty).toBe(true);
    expect(u.totalTokens).toBe(0);
  });

  it('keeps the counts, sums them, and writes snake_case JSON', () => {
    const u = new UsageSnapshot({ inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3, cacheReadTokens: 4 });
    expect([u.inputTokens, u.outputTokens, u.cacheWriteTokens, u.cacheReadTokens]).toEqual([1, 2, 3, 4]);
    expect(u.totalTokens).toBe(10);
    expect(u.isEmpty).toBe(false);
    expect(JSON.parse(JSON.stringify(u))).toEqual({
      input_tokens: 1,
      output_tokens: 2,
      cache_write_tokens: 3,
      cache_read_tokens: 4,
    });
  });

  it('accepts MAX_SAFE_INTEGER', () => {
    expect(new UsageSnapshot({ inputTokens: Number.MAX_SAFE_INTEGER }).inputTokens).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('is immutable', () => {
    const u = new UsageSnapshot({ inputTokens: 5 });
    expect(Object.isFrozen(u)).toBe(true);
    expect(() => {
      (u as { inputTokens: number }).inputTokens = 6;
    }).toThrow(TypeError);
    expect(u.inputTokens).toBe(5);
  });

  it('round-trips through fromDict, ignoring unknown keys and defaulting missing ones', () => {
    const u = new UsageSnapshot({ inputTokens: 7, cacheReadTokens: 9 });
    expect(UsageSnapshot.fromDict(u.toDict())).toEqual(u);
    expect(UsageSnapshot.fromDict({ output_tokens: 3, total_tokens: 3 }).toDict()).toEqual({
      input_tokens: 0,
      output_tokens: 3,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
    });
  });

  for (const member of MEMBERS) {
    for (const [kind, value] of BAD) {
      it(`constructor rejects ${member} ${kind}`, () => {
        const err = caught(() => new UsageSnapshot({ [member]: value } as never));
        expect(err).toBeInstanceOf(ValidationError);
        expect(err).toBeInstanceOf(RangeError);
        expect(err).toMatchObject({ name: 'ValidationError', field: member });
        expect((err as Error).message).toContain(member);
      });
    }
  }

  for (const key of KEYS) {
    for (const [kind, value] of BAD) {
      it(`fromDict rejects ${key} ${kind}`, () => {
        const err = caught(() => UsageSnapshot.fromDict({ [key]: value }));
        expect(err).toBeInstanceOf(ValidationError);
        expect(err).toMatchObject({ field: key });
        expect((err as Error).message).toContain(key);
      });
    }
  }

  it('rejects a non-object', () => {
    expect(caught(() => new UsageSnapshot(null as never))).toMatchObject({ field: 'usage' });
    expect(caught(() => UsageSnapshot.fromDict('{"input_tokens": 1}'))).toMatchObject({ field: 'usage' });
    expect(caught(() => UsageSnapshot.fromDict([1, 2]))).toBeInstanceOf(ValidationError);
  });

  it('add() returns a new snapshot and checks the other side and overflow', () => {
    const a = new UsageSnapshot({ inputTokens: 1, outputTokens: 2 });
    const b = a.add(new UsageSnapshot({ inputTokens: 10, cacheWriteTokens: 5 })).add({ cacheReadTokens: 1 });
    expect(b.toDict()).toEqual({
      input_tokens: 11,
      output_tokens: 2,
      cache_write_tokens: 5,
      cache_read_tokens: 1,
    });
    expect(a.inputTokens).toBe(1);
    expect(() => a.add({ outputTokens: -1 })).toThrow(expect.objectContaining({ field: 'outputTokens' }));
    expect(() => new UsageSnapshot({ inputTokens: Number.MAX_SAFE_INTEGER }).add({ inputTokens: 1 })).toThrow(
      expect.objectContaining({ field: 'inputTokens' }),
    );
  });

  it('is a TokenUsage for @agentrace/pricing', () => {
    const usage: TokenUsage = new UsageSnapshot({ inputTokens: 1 });
    expect(usage.inputTokens).toBe(1);
  });
});
