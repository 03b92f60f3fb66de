import { describe, expect, it, vi } from 'vitest';
import { retryAfterMs } from './retry-after.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const withProps = (props: Record<string, unknown>) => Object.assign(new Error('rate limited'), props);

describe('retryAfterMs', () => {
  it('reads a retryAfterMs field', () => {
    expect(retryAfterMs(withProps({ retryAfterMs: 1500 }))).toBe(1500);
    expect(retryAfterMs(withProps({ retryAfterMs: 0 }))).toBe(0);
  });

  it('reads retry-after-ms and retry-after from a plain header object, in any case', () => {
    expect(retryAfterMs(withProps({ headers: { 'retry-after-ms': '250' } }))).toBe(250);
    expect(retryAfterMs(withProps({ headers: { 'Retry-After-Ms': '12.5' } }))).toBe(12.5);
    expect(retryAfterMs(withProps({ headers: { 'Retry-After': '2' } }))).toBe(2000);
    expect(retryAfterMs(withProps({ headers: { 'RETRY-AFTER': 3 } }))).toBe(3000);
    expect(retryAfterMs(withProps({ headers: { 'retry-after': ['4', '5'] } }))).toBe(4000);
  });

  it('reads a Headers object', () => {
    expect(retryAfterMs(withProps({ headers: new Headers({ 'Retry-After': '7' }) }))).toBe(7000);
    expect(retryAfterMs(withProps({ headers: new Headers({ 'retry-after-ms': '90' }) }))).toBe(90);
    expect(retryAfterMs(withProps({ headers: new Headers({ 'x-other': '1' }) }))).toBeUndefined();
  });

  it('reads response.headers (axios style)', () => {
    expect(retryAfterMs(withProps({ response: { status: 429, headers: { 'retry-after': '1' } } }))).toBe(
      1000,
    );
    expect(retryAfterMs(withProps({ response: { headers: new Headers({ 'retry-after-ms': '5' }) } }))).toBe(
      5,
    );
  });

  it('reads an HTTP date relative to now', () => {
    const at = new Date(NOW + 30_000).toUTCString();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }), { now: NOW })).toBe(30_000);
    // asctime form
    const asctime = withProps({ headers: { 'retry-after': 'Thu Jan 15 12:00:10 2026 GMT' } });
    expect(retryAfterMs(asctime, { now: NOW })).toBe(10_000);
  });

  it('gives 0 for an HTTP date already past', () => {
    const at = new Date(NOW - 5_000).toUTCString();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }), { now: NOW })).toBe(0);
  });

  it('uses Date.now() when no now is given', () => {
    vi.useFakeTimers({ now: NOW });
    try {
      const at = new Date(NOW + 3_600_000).toUTCString();
      expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }))).toBe(3_600_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('prefers the field, then retry-after-ms, then retry-after', () => {
    const headers = { 'retry-after': '9', 'retry-after-ms': '300' };
    expect(retryAfterMs(withProps({ retryAfterMs: 42, headers }))).toBe(42);
    expect(retryAfterMs(withProps({ headers }))).toBe(300);
    // retry-after-ms in response.headers still beats retry-after in headers.
    expect(
      retryAfterMs(
        withProps({ headers: { 'retry-after': '9' }, response: { headers: { 'retry-after-ms': '8' } } }),
      ),
    ).toBe(8);
  });

  it('skips invalid and negative values and falls through to the next source', () => {
    expect(retryAfterMs(withProps({ retryAfterMs: -1, headers: { 'retry-after': '2' } }))).toBe(2000);
    expect(retryAfterMs(withProps({ retryAfterMs: Number.NaN }))).toBeUndefined();
    expect(retryAfterMs(withProps({ retryAfterMs: Number.POSITIVE_INFINITY }))).toBeUndefined();
    expect(retryAfterMs(withProps({ retryAfterMs: '100' }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: { 'retry-after-ms': '-5', 'retry-after': '1' } }))).toBe(1000);
    for (const bad of ['-1', '', ' ', 'soon', '1e3', '2 seconds', 'Fri, garbage', '0x10']) {
      expect(retryAfterMs(withProps({ headers: { 'retry-after': bad } }), { now: NOW })).toBeUndefined();
    }
    expect(retryAfterMs(withProps({ headers: { 'retry-after': -3 } }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': null } }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: 'retry-after: 1' }))).toBeUndefined();
  });

  it('walks the cause chain; the outermost error that says wins', () => {
    const inner = withProps({ headers: { 'retry-after': '5' } });
    expect(retryAfterMs(new Error('wrapped', { cause: inner }))).toBe(5000);
    expect(retryAfterMs(withProps({ retryAfterMs: 10, cause: inner }))).toBe(10);
  });

  it('survives cycles, hostile objects and non-errors', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = new Error('b', { cause: a });
    expect(retryAfterMs(a)).toBeUndefined();
    const throwingHeaders = {
      get() {
        throw new Error('boom');
      },
    };
    expect(retryAfterMs(withProps({ headers: throwingHeaders }))).toBeUndefined();
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(retryAfterMs(withProps({ headers: hostile }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('Retry-After: 5')).toBeUndefined();
  });

  it('rejects a bad now, naming it', () => {
    expect(() => retryAfterMs(new Error('x'), { now: Number.NaN })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'now' }),
    );
  });
});
