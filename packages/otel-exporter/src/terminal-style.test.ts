import { describe, expect, it } from 'vitest';
import { createStyle, formatCost, formatCount, formatDuration, visibleLength } from './terminal-style.js';

const ESC = String.fromCharCode(27);

describe('terminal formatting', () => {
  it('formats durations from sub-millisecond to minutes', () => {
    expect(formatDuration(0.4234)).toBe('0.42ms');
    expect(formatDuration(412.4)).toBe('412ms');
    expect(formatDuration(2414)).toBe('2.41s');
    expect(formatDuration(65_400)).toBe('1m 05s');
    expect(formatDuration(-1)).toBe('?');
    expect(formatDuration(Number.NaN)).toBe('?');
  });

  it('formats counts and costs the same in every locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCost(0)).toBe('$0.0000');
    expect(formatCost(0.01334)).toBe('$0.0133');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(-0.5)).toBe('-$0.5000');
    expect(formatCost(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('styles with ANSI escapes only when colour is on, and measures visible width', () => {
    const on = createStyle(true);
    const off = createStyle(false);
    for (const name of ['bold', 'dim', 'red', 'green', 'yellow', 'cyan', 'magenta'] as const) {
      expect(off[name]('x')).toBe('x');
      expect(on[name]('x')).toMatch(new RegExp(`^${ESC}\\[\\d+mx${ESC}\\[\\d+m$`));
      expect(visibleLength(on[name]('abc'))).toBe(3);
    }
    expect([on.color, off.color]).toEqual([true, false]);
  });
});
