import { describe, expect, it } from 'vitest';
import { catchAsyncFailure } from './async-failure.js';

describe('catchAsyncFailure', () => {
  it('hands a rejection to onError instead of leaving it unhandled', async () => {
    const seen: unknown[] = [];
    const reason = new Error('sink down');
    catchAsyncFailure(Promise.reject(reason), (e) => seen.push(e));
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([reason]);
  });

  it('ignores plain values, fulfilled and never-settling promises', async () => {
    const seen: unknown[] = [];
    for (const v of [undefined, null, 3, 'x', {}, Promise.resolve(1), new Promise(() => {})])
      catchAsyncFailure(v, (e) => seen.push(e));
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([]);
  });

  it('a `then` getter that throws is reported, not thrown', () => {
    const seen: unknown[] = [];
    const hostile = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('hostile');
      },
    });
    expect(() => catchAsyncFailure(hostile, (e) => seen.push(e))).not.toThrow();
    expect(seen).toHaveLength(1);
  });
});
