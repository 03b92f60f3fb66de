// Short variant of the collector-fault case (the long one, with turn-rate ratios over interleaved rounds, is
// `pnpm reliability`). Each fault runs in its own process against a real loopback server that misbehaves.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  demoProblems,
  FAULT_EXPORT_TIMEOUT_MS as EXPORT_TIMEOUT_MS,
  faultRunProblems,
  FAULT_EXIT_MARGIN_MS as MARGIN_MS,
  FAULT_SHUTDOWN_DEADLINE_MS as SHUTDOWN_DEADLINE_MS,
} from './collector-fault-cases.js';
import { type FaultRun, runAgainstCollector, runDemoAgainst } from './collector-faults.js';
import { COLLECTOR_FAULTS, CollectorFault } from './faulty-collector.js';

const TURNS = 2000;

const runs = new Map<string, FaultRun>();
beforeAll(async () => {
  // Three processes at a time: the case is about each process's own behaviour, and this keeps the suite short.
  const queue: CollectorFault[] = [CollectorFault.HEALTHY, ...COLLECTOR_FAULTS];
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const exportTimeoutMs = f === CollectorFault.HEALTHY ? 5000 : EXPORT_TIMEOUT_MS;
      runs.set(f, await runAgainstCollector(f, { turns: TURNS, exportTimeoutMs }));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 60_000);

describe('collector faults: the app is unaffected, shutdown keeps its deadline, and the loss is told once', () => {
  it('a healthy collector receives everything (the baseline)', () => {
    const run = runs.get(CollectorFault.HEALTHY)!;
    expect(run.ok).toBe(TURNS);
    expect(run.exitCode).toBe(0);
    expect(run.collectorRequests).toBeGreaterThan(0);
    expect(run.unhandled).toBe(0);
  });

  for (const fault of COLLECTOR_FAULTS) {
    it(`${fault}`, () => {
      const run = runs.get(fault)!;
      // Every turn ran and returned its result; nothing reached the app.
      expect(run.ok).toBe(TURNS);
      expect(run.unhandled).toBe(0);
      expect(run.exitCode).toBe(0);
      // Shutdown keeps its deadline and the process exits on its own right after (never the sum of retries).
      expect(run.shutdownMs).toBeLessThan(SHUTDOWN_DEADLINE_MS + MARGIN_MS);
      expect(run.exitMs).toBeLessThan(SHUTDOWN_DEADLINE_MS + MARGIN_MS);
      const told = run.warnings.filter((w) => w.includes('telemetry is being dropped'));
      if (fault === CollectorFault.GARBAGE_200) {
        // A 200 is the collector's acknowledgement (OTLP: success); an unparsable body carries no partial-success
        // rejection to count, so what was sent is delivered (a batch may still time out on a loaded machine).
        expect(run.dropped.spans).toBeLessThan(TURNS + 1);
        expect(run.collectorRequests).toBeGreaterThan(0);
        expect(told.length).toBeLessThanOrEqual(1);
      } else {
        // The bounded processor dropped and counted every span (none was delivered), and said so once.
        expect(run.dropped.spans).toBe(TURNS + 1);
        expect(told).toHaveLength(1);
      }
      // The long run's row verdict agrees.
      expect(faultRunProblems(run)).toEqual([]);
    });
  }
});

describe('the demo against a collector that hangs', () => {
  it('exits within 10 s of its time with no collector, and says what was lost instead of claiming an export', async () => {
    const none = await runDemoAgainst('none');
    const hangs = await runDemoAgainst(CollectorFault.HANGS);
    expect(none.exitCode).toBe(0);
    expect(hangs.exitCode).toBe(0);
    expect(hangs.wallMs - none.wallMs).toBeLessThan(10_000);
    expect(hangs.stdout).not.toMatch(/Traces were exported/);
    expect(hangs.stdout).not.toMatch(/Metrics were exported/);
    expect(hangs.stdout).toMatch(/spans? meant for .* were lost/);
    expect(hangs.stdout).toMatch(/The run itself was unaffected/);
    expect(hangs.stderr.match(/telemetry is being dropped/g)).toHaveLength(1);
    // The app's results are the same: the same seed prints the same cost table.
    const costs = (s: string) =>
      s.slice(s.indexOf('Cost by agent and model'), s.indexOf('What this run showed'));
    expect(costs(hangs.stdout)).toBe(costs(none.stdout));
    expect(demoProblems(none, hangs)).toEqual([]);
  }, 60_000);
});
