import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (let i = 1; i <= 2; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 8; i++) ring.push(i);
    expect(ring.toArray()).toEqual([6, 7, 8]);
    expect(ring.size).toBe(3);
  });

  it('works with capacity 1 and after clear', () => {
    const ring = new RingBuffer<string>(1);
    ring.push('a');
    ring.push('b');
    expect(ring.toArray()).toEqual(['b']);
    ring.clear();
    expect(ring.size).toBe(0);
    ring.push('c');
    expect(ring.toArray()).toEqual(['c']);
  });

  it('returns a copy', () => {
    const ring = new RingBuffer<number>(2);
    ring.push(1);
    ring.toArray().push(99);
    expect(ring.toArray()).toEqual([1]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])('rejects capacity %s', (capacity) => {
    expect(() => new RingBuffer(capacity as number)).toThrow(ValidationError);
    expect(() => new RingBuffer(capacity as number)).toThrow(expect.objectContaining({ field: 'capacity' }));
  });
});
