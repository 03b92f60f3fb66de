// The report's own round trip: `--only` re-runs some rows and keeps the others, read back from the report.
import { describe, expect, it } from 'vitest';
import { type CaseRow, machine, renderReport, rowsOf } from './run.js';

const rows: CaseRow[] = [
  {
    name: 'a-case',
    description: 'what | with a pipe',
    result: { survived: true, figure: '1.00×', detail: 'sizes' },
    seconds: 3,
    command: 'pnpm reliability',
    ranAt: '2026-12-07T15:00:00Z',
  },
  {
    name: 'b-case',
    description: 'another',
    result: { survived: false, figure: 'a contract broke', detail: 'why' },
    seconds: 1,
    command: 'pnpm reliability -- --only b-case',
    ranAt: '2026-12-07T16:00:00Z',
  },
];

describe('RELIABILITY.md', () => {
  it('keeps its rows, so a partial run can merge into it', () => {
    const report = renderReport(rows, machine(), true);
    expect(report).toContain('**1 of 2 cases survived.**');
    expect(report).toContain('| `b-case` | another | **FAILED** |');
    expect(report).toMatch(/- Node: v\d+/);
    expect(rowsOf(report)).toEqual(rows);
  });

  it('reads the rows back from the table of a report without the JSON', () => {
    const report = renderReport(rows, machine(), true);
    const tableOnly = `${report.slice(0, report.indexOf('<!-- reliability rows'))}\n- Date: 2026-12-07T15:00:00Z, commit abc\n`;
    const back = rowsOf(tableOnly);
    expect(back.map((r) => [r.name, r.description, r.result.survived, r.result.figure, r.seconds])).toEqual([
      ['a-case', 'what | with a pipe', true, '1.00×', 3],
      ['b-case', 'another', false, 'a contract broke', 1],
    ]);
  });
});
