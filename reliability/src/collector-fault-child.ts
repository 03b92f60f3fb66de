// One process of the collector-fault case: telemetry set up as a user would (setupTelemetry, OTLP to the given
// endpoint), N turns, shutdown, then a natural exit (no process.exit: a handle left open would show as a late exit).
// Reports its figures over IPC. Run by collector-faults.ts with `--import tsx`.
import { setupTelemetry } from '@agentrace/otel-exporter';
import { memoryMiB, newAgent, turn } from './workload.js';

interface Start {
  endpoint: string | undefined;
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  turns: number;
  exportTimeoutMs: number;
}

/** What one child reports. */
export interface FaultChildReport {
  turns: number;
  ok: number;
  turnsPerSecond: number;
  /**
   * Turns per second of the process's own CPU time (user + system) over the same loop: unlike the wall-clock
   * rate, barely moved by other processes on a shared machine, and it includes the export work the fault causes.
   */
  turnsPerCpuSecond: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  heapEndMiB: number;
  shutdownMs: number;
  dropped: { spans: number; metricExports: number; metricPoints: number };
  warnings: string[];
  unhandled: number;
}

const send = (m: unknown) => process.send?.(m);
let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled++;
});

process.once('message', async (start: Start) => {
  const warnings: string[] = [];
  const env: Record<string, string> = {
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  if (start.endpoint) {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = start.endpoint;
    env.OTEL_EXPORTER_OTLP_PROTOCOL = start.protocol;
  } else {
    env.OTEL_TRACES_EXPORTER = 'none';
    env.OTEL_METRICS_EXPORTER = 'none';
  }
  const telemetry = setupTelemetry({
    serviceName: 'reliability',
    env,
    exportTimeoutMs: start.exportTimeoutMs,
    registerGlobal: false,
    warn: (m) => warnings.push(m),
  });
  const agent = newAgent({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
  const rssStart = memoryMiB().rss;
  let rssPeak = rssStart;
  let ok = 0;
  const session = agent.open();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < start.turns; i++) {
    await turn(session);
    ok++;
    if (i % 500 === 0) {
      rssPeak = Math.max(rssPeak, memoryMiB().rss);
      // One trip through the event loop, so exports (and their failures) run while the agent works.
      await new Promise((r) => setImmediate(r));
    }
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  session.complete();
  send({ type: 'shutdown' });
  const s0 = performance.now();
  await telemetry.shutdown();
  const shutdownMs = performance.now() - s0;
  const report: FaultChildReport = {
    turns: start.turns,
    ok,
    turnsPerSecond: (start.turns / elapsed) * 1000,
    turnsPerCpuSecond: (start.turns / cpuMs) * 1000,
    rssStartMiB: rssStart,
    rssPeakMiB: Math.max(rssPeak, memoryMiB().rss),
    heapEndMiB: memoryMiB().heap,
    shutdownMs,
    dropped: telemetry.dropped,
    warnings,
    unhandled,
  };
  send({ type: 'report', report });
  process.disconnect?.();
});
