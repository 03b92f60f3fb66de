// Small helpers shared by the benches: yielding, memory, formatting.
import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * Turns run back to back between two trips through the event loop. A real model call does I/O, so the
 * loop turns over constantly; a microtask-only loop would starve the batch span processor's export
 * callback (a timer) and it would start dropping spans. Yielding every 100 turns keeps the whole pipeline
 * live, and the yield is timed in every variant alike.
 */
export const TURNS_PER_YIELD = 100;

/** One trip through the event loop (timers, I/O callbacks, immediates). */
export function yieldToLoop(): Promise<void> {
  return immediate();
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether `--expose-gc` was given, so memory figures are taken after a full collection. */
export const canGc = typeof gc === 'function';

/** Runs a full collection when `--expose-gc` was given (twice: the first frees, the second compacts). */
export function fullGc(): void {
  gc?.();
  gc?.();
}

/** The process's memory now, in MiB, after a full collection when possible. */
export function memoryMiB(): { rss: number; heapUsed: number } {
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heapUsed: m.heapUsed / 2 ** 20 };
}

/** Milliseconds as a short human figure in µs or ns. */
export function formatPerTurn(ms: number): string {
  const us = ms * 1000;
  return us >= 10 ? `${us.toFixed(2)} µs` : `${(us * 1000).toFixed(0)} ns`;
}

/** A ratio with two decimals and a trailing ×. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * The benches import the built packages (`dist/`, what users run; running the sources through tsx would add
 * its `__name` helper to every named closure and skew the figures). Says so when a source is newer than the
 * build, so a stale build is not measured by mistake.
 */
function staleBuilds(): string[] {
  const stale: string[] = [];
  for (const pkg of ['core', 'pricing']) {
    const root = fileURLToPath(new URL(`../packages/${pkg}/`, import.meta.url));
    let built: number;
    try {
      built = statSync(join(root, 'dist/index.js')).mtimeMs;
    } catch {
      throw new Error(`packages/${pkg} is not built: run \`pnpm run build\` at the workspace root first`);
    }
    const newer = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(root, 'src', f)).mtimeMs > built,
    );
    if (newer.length > 0) stale.push(`packages/${pkg} (${newer.length} source files newer than dist/)`);
  }
  return stale;
}

/** Node version, CPU, load and the flags that matter, for the report's header. */
export function environment(): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const stale = staleBuilds();
  return [
    `Node ${process.version} (${process.platform}/${process.arch}), ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `load average ${load}, gc exposed: ${canGc}`,
    ...(stale.length > 0 ? [`WARNING: stale build, measuring old code: ${stale.join(', ')}`] : []),
  ].join('\n');
}
