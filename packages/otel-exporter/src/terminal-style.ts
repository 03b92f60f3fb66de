/** ANSI styling that collapses to plain text when colour is off (not a TTY, `NO_COLOR`). */
export interface Style {
  readonly color: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string) => s;

/** A {@link Style} with or without colour. */
export function createStyle(color: boolean): Style {
  if (!color) {
    return {
      color,
      bold: plain,
      dim: plain,
      red: plain,
      green: plain,
      yellow: plain,
      cyan: plain,
      magenta: plain,
    };
  }
  return {
    color,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

/** Visible width of a string that may hold ANSI escapes. */
export function visibleLength(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** `412ms`, `2.41s`, `1m 05s`; sub-millisecond as `0.42ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** An integer with thousands separators (`12,345`), locale-independent so output is the same everywhere. */
export function formatCount(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * USD with four decimals below a dollar (`$0.0133`) and two from a dollar up (`$12.50`): enough precision that a
 * table's rows visibly add up to its total, which the tracker's cent rounding (`$0.01`) would hide.
 */
export function formatCost(usd: number): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '?';
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  return `${sign}$${abs.toFixed(abs < 1 ? 4 : 2)}`;
}
