import type { AttemptRecord } from '@agentrace/core';
import type { Style, TerminalOutput } from '@agentrace/otel-exporter';

/** A number with thousands separators, the same on every locale. */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** USD as the terminal view prints it: four decimals below a dollar, else two. */
export function usd(n: number): string {
  return n < 1 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

/** A recovery step's detail with fractional milliseconds rounded (`waited 38.07 ms` → `waited 38 ms`). */
export function tidyDetail(detail: string): string {
  return detail.replace(/(\d+\.\d+) ms/g, (_, ms: string) => `${Math.round(Number(ms))} ms`);
}

/**
 * Writes the demo's running commentary: one line per step of the workflow, indented under the agent doing it.
 * Everything it prints is decided by the seed (no wall-clock durations, no ids), so two runs with the same seed
 * print the same commentary.
 */
export class Narrator {
  readonly #out: TerminalOutput;
  readonly style: Style;

  constructor(out: TerminalOutput, style: Style) {
    this.#out = out;
    this.style = style;
  }

  /** A line as it is. */
  line(text = ''): void {
    this.#out.write(`${text}\n`);
  }

  /** A step of `agent`: the agent's name in a fixed-width column, then the text. */
  step(agent: string, text: string): void {
    this.line(`  ${this.style.cyan(agent.padEnd(10))} ${text}`);
  }

  /** A continuation line under the previous step. */
  detail(text: string): void {
    this.line(`  ${' '.repeat(10)}   ${text}`);
  }

  /**
   * One attempt of a turn: where it ran and how it ended; for a failure, what recovery did next. `outcome` is
   * appended to a successful attempt (its tokens and cost).
   */
  attempt(a: AttemptRecord, last: boolean, outcome = ''): void {
    const where = `${a.provider ?? '?'}/${a.model ?? '?'}`;
    const branch = last ? '└─' : '├─';
    const skipped = a.skippedProviders?.length
      ? this.style.yellow(`  (${a.skippedProviders.join(', ')} skipped: circuit open)`)
      : '';
    if (a.outcome === 'succeeded') {
      this.detail(`${branch} attempt ${a.attempt}  ${where}  ${this.style.green('✓')}  ${outcome}${skipped}`);
      return;
    }
    const steps = a.steps
      .map((s) => {
        const detail = tidyDetail(s.detail ?? '');
        return s.status === 'done' ? `${s.step} (${detail})` : `${s.step} skipped (${detail})`;
      })
      .join(', ');
    this.detail(
      `${branch} attempt ${a.attempt}  ${where}  ${this.style.red(`✗ ${a.errorType ?? a.scenario}`)}  ${this.style.dim(
        `"${a.message ?? ''}"`,
      )}${skipped}`,
    );
    if (steps) this.detail(`${last ? '  ' : '│ '}   → ${steps}`);
  }
}
