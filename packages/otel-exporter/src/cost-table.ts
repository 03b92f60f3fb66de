import type { CostSummary } from './cost-summary.js';
import { createStyle, formatCost, formatCount, type Style, visibleLength } from './terminal-style.js';

/** Options of {@link renderCostTable}. */
export interface CostTableOptions {
  /** Colour (default none). */
  readonly style?: Style;
  /** Heading above the table. Default `Cost by agent and model`. */
  readonly title?: string;
}

const HEADERS = ['agent', 'model', 'turns', 'errors', 'input tok', 'output tok', 'cost'] as const;
/** Columns 2.. are numbers: right-aligned. */
const FIRST_NUMERIC = 2;

/**
 * Renders a {@link CostSummary} as an aligned text table with a total row, or an empty string when no model call
 * was recorded (nothing to say).
 *
 * @example
 * ```ts
 * process.stdout.write(renderCostTable(await telemetry.costSummary()));
 * ```
 */
export function renderCostTable(summary: CostSummary, opts: CostTableOptions = {}): string {
  if (summary.rows.length === 0) return '';
  const style = opts.style ?? createStyle(false);
  const cells = (r: Omit<CostSummary['rows'][number], 'agent' | 'model'>, agent: string, model: string) => [
    agent,
    model,
    formatCount(r.turns),
    r.errors > 0 ? style.red(formatCount(r.errors)) : formatCount(r.errors),
    formatCount(r.inputTokens),
    formatCount(r.outputTokens),
    formatCost(r.costUsd),
  ];
  const body = summary.rows.map((r) => cells(r, r.agent, r.model));
  const total = cells(summary.total, 'total', '');
  const table = [[...HEADERS] as string[], ...body, total];
  const widths = HEADERS.map((_, c) => Math.max(...table.map((row) => visibleLength(row[c] as string))));
  const line = (row: string[]) =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat((widths[c] as number) - visibleLength(cell));
        return c >= FIRST_NUMERIC ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const rule = style.dim('─'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1)));
  return [
    style.bold(opts.title ?? 'Cost by agent and model'),
    style.dim(line(table[0] as string[])),
    ...body.map(line),
    rule,
    style.bold(line(total)),
  ]
    .join('\n')
    .concat('\n');
}
