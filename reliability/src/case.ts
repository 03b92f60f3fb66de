/**
 * One row of RELIABILITY.md: a reliability case the long run (`pnpm reliability`) executes and reports.
 * Each case module exports one or more of these; `run.ts` lists them. The short version of each case runs in
 * the normal test command through its own `*.test.ts`, with the same code and smaller sizes.
 */
export interface ReliabilityCase {
  /** Stable, short, kebab-case (`collector-hang`, `soak-one-session`, `redis-sigkill`). */
  readonly name: string;
  /** What the case does, in one line, for the table. */
  readonly description: string;
  /** Runs the case; `long` asks for the full-size run (minutes), otherwise a quick one (seconds). */
  run(options: { long: boolean }): Promise<CaseResult>;
}

/** What one case found. */
export interface CaseResult {
  /** Whether the promise held (the row's verdict). */
  readonly survived: boolean;
  /** The figure the table shows, with its unit (`turn rate 0.97× of baseline`, `rss +3.1 MiB`). */
  readonly figure: string;
  /** Anything a reader needs to trust the figure (sizes, bounds, what was reconciled). */
  readonly detail?: string;
}
