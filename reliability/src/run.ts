// `pnpm reliability`: runs every case in cases.ts in its long mode, one after the other, and writes
// RELIABILITY.md at the repository root (the table, the machine, the date, the command). Exits 1 when a case
// failed. Options: `--short` (the quick sizes the tests use), `--only a,b` (those cases), `--out FILE`
// (another report path; `-` prints it instead).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CaseResult, ReliabilityCase } from './case.js';
import { cases } from './cases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FINDINGS = fileURLToPath(new URL('../FINDINGS.md', import.meta.url));

/** One finished row. */
export interface CaseRow {
  readonly name: string;
  readonly description: string;
  readonly result: CaseResult;
  readonly seconds: number;
  /** The command and moment it ran (rows of a merged report may come from different runs). */
  readonly command?: string;
  readonly ranAt?: string;
}

/** The machine the figures come from. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
}

/** Describes this machine. */
export function machine(): Machine {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) osName = `${pretty} (${os.type()} ${os.release()}, ${os.arch()})`;
  } catch {
    // Not Linux, or no os-release: the kernel's name and release are enough.
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: osName,
    node: process.version,
  };
}

/** Runs one case; a throw, a hang past `deadlineMs` or an unhandled rejection during it is a failed row. */
export async function runCase(c: ReliabilityCase, long: boolean, deadlineMs: number): Promise<CaseRow> {
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let result: CaseResult;
  try {
    result = await Promise.race([
      c.run({ long }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no outcome within ${deadlineMs / 1000} s`)), deadlineMs);
      }),
    ]);
  } catch (err) {
    result = {
      survived: false,
      figure: 'the case itself failed',
      detail: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
    // Let rejections of the case's last promises surface before counting.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
  }
  if (unhandled > 0) {
    result = {
      survived: false,
      figure: result.figure,
      detail: `${unhandled} unhandled rejection(s) during the case; ${result.detail ?? ''}`,
    };
  }
  return { name: c.name, description: c.description, result, seconds: (performance.now() - t0) / 1000 };
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The distinct runs the rows come from: command, date, row names, seconds. */
function runsOf(rows: readonly CaseRow[]): [string, string, string[], number][] {
  const runs = new Map<string, [string, string, string[], number]>();
  for (const r of rows) {
    const key = `${r.command}\u0000${r.ranAt?.slice(0, 13)}`;
    const run = runs.get(key) ?? [r.command ?? 'pnpm reliability', r.ranAt?.slice(0, 10) ?? '?', [], 0];
    run[2].push(r.name);
    run[3] += r.seconds;
    runs.set(key, run);
  }
  return [...runs.values()];
}

const ROWS_MARK = '<!-- reliability rows: ';

/** The rows kept in a report written earlier (for `--only`, which re-runs some rows and keeps the others). */
export function rowsOf(report: string): CaseRow[] {
  const at = report.lastIndexOf(ROWS_MARK);
  if (at < 0) return rowsOfTable(report);
  try {
    return JSON.parse(report.slice(at + ROWS_MARK.length, report.indexOf(' -->', at))) as CaseRow[];
  } catch {
    return [];
  }
}

/** Reads the rows back from the table itself (a report written before the rows were kept as JSON). */
function rowsOfTable(report: string): CaseRow[] {
  const ranAt = /^- Date: (\S+?),?(?: |$)/m.exec(report)?.[1];
  const command = /^- Command: `([^`]+)`/m.exec(report)?.[1];
  const unescapeCell = (c: string) => c.trim().replaceAll('\\|', '|');
  return report.split('\n').flatMap((line): CaseRow[] => {
    if (!line.startsWith('| `')) return [];
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map(unescapeCell);
    if (cells.length !== 5) return [];
    const [name, description, verdict, figure, detailCell] = cells as [
      string,
      string,
      string,
      string,
      string,
    ];
    const secs = /\((\d+) s\)$/.exec(detailCell);
    const detail = secs ? detailCell.slice(0, secs.index).trimEnd() : detailCell;
    return [
      {
        name: name.replaceAll('`', ''),
        description,
        result: { survived: verdict === 'survived', figure, detail },
        seconds: secs ? Number(secs[1]) : 0,
        ...(command !== undefined && { command }),
        ...(ranAt !== undefined && { ranAt }),
      },
    ];
  });
}

/** RELIABILITY.md's text. */
export function renderReport(rows: readonly CaseRow[], m: Machine, long: boolean): string {
  const failed = rows.filter((r) => !r.result.survived);
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // Outside a checkout: no commit line.
  }
  const lines = [
    '# Reliability',
    '',
    'agentrace must never break or stall the application, whatever the collector, the SDK, the state store or the',
    'caller does, and must lose nothing it claims to keep. Each row below is one case of the reliability suite',
    '(`reliability/src/`); its short version runs in the normal test command, and this file is the long run.',
    'No case asserts an absolute time: rates and exit times are compared with the same run without the fault.',
    '',
    `**${rows.length - failed.length} of ${rows.length} cases survived${long ? '' : ' (short mode)'}.**`,
    '',
    '| case | what | verdict | figure | detail |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| \`${r.name}\` | ${cell(r.description)} | ${r.result.survived ? 'survived' : '**FAILED**'} | ${cell(r.result.figure)} | ${cell(r.result.detail ?? '')} (${r.seconds.toFixed(0)} s) |`,
    ),
    '',
    '## Machine and run',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores available${m.cores <= 2 ? ' (shared with other work while this ran)' : ''}`,
    `- Memory: ${m.memoryGiB.toFixed(1)} GiB`,
    `- OS: ${m.os}`,
    `- Node: ${m.node}`,
    ...runsOf(rows).map(
      ([command, ranAt, names, seconds]) =>
        `- Run: \`${command}\` on ${ranAt}${commit ? ` (report written at commit ${commit})` : ''}, ${seconds.toFixed(0)} s` +
        (names.length < rows.length ? `: rows ${names.map((n) => `\`${n}\``).join(', ')}` : ''),
    ),
    '',
  ];
  // What the figures alone do not say (how a bound was chosen, what an investigation found), kept by hand.
  try {
    lines.push(readFileSync(FINDINGS, 'utf8').trimEnd(), '');
  } catch {
    // No findings file: the table stands alone.
  }
  // The rows themselves, machine-readable, so `--only` can re-run some and keep the rest.
  lines.push(`${ROWS_MARK}${JSON.stringify(rows).replaceAll('-->', '--\\u003e')} -->`, '');
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const long = !argv.includes('--short');
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]?.split(',') : undefined;
  const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : `${ROOT}RELIABILITY.md`;
  const selected = only ? cases.filter((c) => only.includes(c.name)) : cases;
  if (only && selected.length !== only.length) {
    const known = new Set(cases.map((c) => c.name));
    process.stderr.write(`unknown case(s): ${only.filter((n) => !known.has(n)).join(', ')}\n`);
    return 2;
  }
  const command = `pnpm reliability${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const rows: CaseRow[] = [];
  for (const c of selected) {
    process.stderr.write(`▶ ${c.name} …\n`);
    const row = await runCase(c, long, long ? 30 * 60_000 : 5 * 60_000);
    process.stderr.write(
      `  ${row.result.survived ? 'survived' : 'FAILED'}: ${row.result.figure} (${row.seconds.toFixed(1)} s)\n`,
    );
    if (!row.result.survived) process.stderr.write(`  ${row.result.detail ?? ''}\n`);
    rows.push({ ...row, command, ranAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
  }
  // With --only, the other rows of the existing report are kept, in the order of cases.ts.
  let all = rows;
  if (only && out !== '-') {
    let earlier: CaseRow[] = [];
    try {
      earlier = rowsOf(readFileSync(out!, 'utf8'));
    } catch {
      // No earlier report: this one has only the rows just run.
    }
    const byName = new Map([...earlier, ...rows].map((r) => [r.name, r]));
    all = cases.flatMap((c) => byName.get(c.name) ?? []);
  }
  const report = renderReport(all, machine(), long);
  if (out === '-') process.stdout.write(report);
  else {
    writeFileSync(out!, report);
    process.stderr.write(`wrote ${out}\n`);
  }
  return all.every((r) => r.result.survived) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `pnpm reliability -- --only …` passes its `--` through; it is not an option.
  const args = process.argv.slice(2);
  process.exitCode = await main(args[0] === '--' ? args.slice(1) : args);
}
