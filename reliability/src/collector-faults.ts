// Collector faults, end to end: for each fault a fresh process sets up telemetry against a misbehaving loopback
// collector, runs turns, shuts down and exits on its own; the same run against a healthy collector is the baseline.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultChildReport } from './collector-fault-child.js';
import { type CollectorFault, CollectorFault as Fault, startFaultyCollector } from './faulty-collector.js';

const CHILD = fileURLToPath(new URL('./collector-fault-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Options of one collector-fault run. */
export interface FaultRunOptions {
  turns: number;
  /** The export timeout the app configures (`exportTimeoutMs`); shutdown's deadline is this + 1 s. */
  exportTimeoutMs: number;
  protocol?: 'http/protobuf' | 'http/json';
}

/** One process's figures, plus what the parent measured. */
export interface FaultRun extends FaultChildReport {
  fault: CollectorFault;
  /** From the child's "shutting down" message to its exit (ms). */
  exitMs: number;
  exitCode: number | null;
  collectorRequests: number;
}

/** Runs one process against a collector with `fault`. */
export async function runAgainstCollector(fault: CollectorFault, opts: FaultRunOptions): Promise<FaultRun> {
  const collector = await startFaultyCollector(fault);
  try {
    const child: ChildProcess = fork(CHILD, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let shutdownAt = 0;
    let report: FaultChildReport | undefined;
    child.on('message', (m: { type: string; report?: FaultChildReport }) => {
      if (m.type === 'shutdown') shutdownAt = performance.now();
      if (m.type === 'report') report = m.report;
    });
    child.send({
      endpoint: collector.endpoint,
      protocol: opts.protocol ?? 'http/protobuf',
      turns: opts.turns,
      exportTimeoutMs: opts.exportTimeoutMs,
    });
    const exitCode = await new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const exitMs = performance.now() - shutdownAt;
    if (!report) throw new Error(`the child against ${fault} exited (${exitCode}) without a report`);
    return { ...report, fault, exitMs, exitCode, collectorRequests: collector.requests };
  } finally {
    await collector.close();
  }
}

/** A fault's figures next to its baseline's. */
export interface FaultCase {
  fault: CollectorFault;
  run: FaultRun;
  /** Fault turn rate ÷ healthy-collector turn rate, wall clock (median over the rounds). */
  rateRatio: number;
  /** The same on the process's CPU time (see FaultChildReport.turnsPerCpuSecond). */
  cpuRateRatio: number;
  /** Exit time minus the baseline's exit time (ms). */
  exitDeltaMs: number;
}

/**
 * Runs every fault and the healthy baseline `rounds` times, interleaved (baseline, fault, baseline, …) so that a
 * load change on a shared machine hits both; ratios are of medians.
 */
export async function collectorFaultCases(
  faults: readonly CollectorFault[],
  opts: FaultRunOptions & { rounds: number },
): Promise<{ baseline: FaultRun; cases: FaultCase[] }> {
  const base: FaultRun[] = [];
  const runs = new Map<CollectorFault, FaultRun[]>();
  for (let r = 0; r < opts.rounds; r++) {
    for (const fault of faults) {
      base.push(await runAgainstCollector(Fault.HEALTHY, opts));
      const list = runs.get(fault) ?? [];
      list.push(await runAgainstCollector(fault, opts));
      runs.set(fault, list);
    }
  }
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  const baseRate = med(base.map((b) => b.turnsPerSecond));
  const baseCpuRate = med(base.map((b) => b.turnsPerCpuSecond));
  const baseExit = med(base.map((b) => b.exitMs));
  const cases = faults.map((fault) => {
    const list = runs.get(fault)!;
    const worst = list.reduce((a, b) => (b.exitMs > a.exitMs ? b : a));
    return {
      fault,
      run: worst,
      rateRatio: med(list.map((l) => l.turnsPerSecond)) / baseRate,
      cpuRateRatio: med(list.map((l) => l.turnsPerCpuSecond)) / baseCpuRate,
      exitDeltaMs: worst.exitMs - baseExit,
    };
  });
  return { baseline: base[0]!, cases };
}

/** What the demo printed and how long it took. */
export interface DemoRun {
  fault: CollectorFault | 'none';
  wallMs: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo CLI (`examples/demo/main.ts`) with its OTLP endpoint at a faulty collector (or none). */
export async function runDemoAgainst(fault: CollectorFault | 'none', seed = 5): Promise<DemoRun> {
  const collector = fault === 'none' ? undefined : await startFaultyCollector(fault);
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector?.endpoint ?? '',
      OTEL_TRACES_EXPORTER: '',
      OTEL_METRICS_EXPORTER: '',
    };
    const t0 = performance.now();
    const child = spawn(`${ROOT}/node_modules/.bin/tsx`, ['examples/demo/main.ts', '--seed', String(seed)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exitCode = await new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    return { fault, wallMs: performance.now() - t0, exitCode, stdout, stderr };
  } finally {
    await collector?.close();
  }
}
