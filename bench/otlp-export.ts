// Export cost per 1,000 spans for each OTLP protocol, in one run: CPU time of the exporting process and bytes
// on the wire, as ratios to http/json. Ratios, not assertions. BENCH_ROUNDS rounds (default 6), each running
// every protocol for BENCH_TIME_MS (default 1500) in a rotated order; the tables give the median round.
//
//   node --import tsx otlp-export.ts        (from bench/; BENCH_TIME_MS sets tinybench's time per task)
//
// The spans are agentrace's own: sessions of the simulated workload (an agent span, chat turns with GenAI
// attributes, usage and cost) recorded into memory until there are 1,000. Each task hands those 1,000 spans to
// the official exporter of its protocol (the packages setupTelemetry uses, 0.223) pointed at a loopback sink in a
// child process (otlp-sink.ts), so the CPU measured here is the exporter's: serialising, compressing, the HTTP or
// gRPC client. Bytes are counted by a TCP relay in front of the sink: everything the exporter sent, headers and
// framing included.
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { Bench } from 'tinybench';
import { environment, ratio, table } from './report.js';
import { agentraceTurn, newAgent } from './workload.js';

const SPANS = 1000;
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);

/** 1,000 spans as agentrace records them: sessions of 9 turns (1 agent span + 9 chat spans each). */
async function agentraceSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  trace.setGlobalTracerProvider(provider);
  while (memory.getFinishedSpans().length < SPANS) {
    await newAgent().run(async (s) => {
      for (let i = 0; i < 9; i++) await agentraceTurn(s);
    });
  }
  const spans = memory.getFinishedSpans().slice(0, SPANS);
  trace.disable();
  await provider.shutdown();
  return spans;
}

interface Sink {
  ports: { http: number; grpc: number };
  bytes(): Promise<{ http: number; grpc: number }>;
  stop(): void;
}

async function startSink(): Promise<Sink> {
  const child = fork(fileURLToPath(new URL('./otlp-sink.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ports = await new Promise<Sink['ports']>((resolve) =>
    child.on('message', (m: { type: string; ports?: Sink['ports'] }) => {
      if (m.type === 'ports' && m.ports) resolve(m.ports);
    }),
  );
  return {
    ports,
    bytes: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type: string; received?: { http: number; grpc: number } }) => {
          if (m.type !== 'bytes' || !m.received) return;
          child.off('message', onMessage);
          resolve(m.received);
        };
        child.on('message', onMessage);
        child.send({ type: 'bytes' });
      }),
    stop: () => child.disconnect(),
  };
}

interface Variant {
  readonly key: string;
  readonly kind: 'http' | 'grpc';
  readonly make: (ports: Sink['ports']) => SpanExporter;
}

const gzip = CompressionAlgorithm.GZIP;
const none = CompressionAlgorithm.NONE;
const http = (port: number) => `http://127.0.0.1:${port}/v1/traces`;
const VARIANTS: readonly Variant[] = [
  { key: 'http/json', kind: 'http', make: (p) => new JsonExporter({ url: http(p.http), compression: none }) },
  {
    key: 'http/json + gzip',
    kind: 'http',
    make: (p) => new JsonExporter({ url: http(p.http), compression: gzip }),
  },
  {
    key: 'http/protobuf',
    kind: 'http',
    make: (p) => new ProtoExporter({ url: http(p.http), compression: none }),
  },
  {
    key: 'http/protobuf + gzip',
    kind: 'http',
    make: (p) => new ProtoExporter({ url: http(p.http), compression: gzip }),
  },
  {
    key: 'grpc',
    kind: 'grpc',
    make: (p) =>
      new GrpcExporter({
        url: `http://127.0.0.1:${p.grpc}`,
        credentials: credentials.createInsecure(),
        compression: none,
      }),
  },
  {
    key: 'grpc + gzip',
    kind: 'grpc',
    make: (p) =>
      new GrpcExporter({
        url: `http://127.0.0.1:${p.grpc}`,
        credentials: credentials.createInsecure(),
        compression: gzip,
      }),
  },
];

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) =>
    exporter.export(spans, (r: ExportResult) =>
      r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error('export failed')),
    ),
  );
}

interface Figures {
  cpuMs: number[];
  wallMs: number[];
  bytes: number;
}

async function main(): Promise<void> {
  const spans = await agentraceSpans();
  const sink = await startSink();
  const exporters = new Map(VARIANTS.map((v) => [v.key, v.make(sink.ports)]));
  const figures = new Map<string, Figures>(VARIANTS.map((v) => [v.key, { cpuMs: [], wallMs: [], bytes: 0 }]));
  try {
    // Bytes of one export of the 1,000 spans per protocol (connection set up beforehand, so it is not counted).
    for (const v of VARIANTS) {
      const exporter = exporters.get(v.key) as SpanExporter;
      await exportOnce(exporter, spans);
      const before = (await sink.bytes())[v.kind];
      await exportOnce(exporter, spans);
      (figures.get(v.key) as Figures).bytes = (await sink.bytes())[v.kind] - before;
    }
    // CPU per export: tinybench runs each task for TIME_MS; process.cpuUsage around it, divided by iterations.
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ time: TIME_MS, warmupTime: 300 });
      const cpuAtStart = new Map<string, NodeJS.CpuUsage>();
      // Each round starts at another protocol, so machine load and JIT warm-up do not favour one.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length] as Variant);
      for (const v of order) {
        const exporter = exporters.get(v.key) as SpanExporter;
        let runs = 0;
        bench.add(
          v.key,
          async () => {
            await exportOnce(exporter, spans);
            runs += 1;
          },
          {
            // The CPU of the run phase only (warmup has its own beforeAll/afterAll), per export.
            beforeAll: (mode) => {
              if (mode !== 'run') return;
              runs = 0;
              cpuAtStart.set(v.key, process.cpuUsage());
            },
            afterAll: (mode) => {
              if (mode !== 'run' || runs === 0) return;
              const used = process.cpuUsage(cpuAtStart.get(v.key));
              (figures.get(v.key) as Figures).cpuMs.push((used.user + used.system) / 1000 / runs);
            },
          },
        );
      }
      await bench.run();
      for (const task of bench.tasks) {
        const r = task.result as { latency?: { mean?: number } } | undefined;
        if (r?.latency?.mean !== undefined) (figures.get(task.name) as Figures).wallMs.push(r.latency.mean);
      }
    }
  } finally {
    for (const e of exporters.values()) await e.shutdown();
    sink.stop();
  }
  report(figures);
}

/** The median of the rounds: one round under a burst of load from elsewhere does not move it. */
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function report(figures: Map<string, Figures>): void {
  const json = figures.get('http/json') as Figures;
  const rows = VARIANTS.map((v) => {
    const f = figures.get(v.key) as Figures;
    return [
      v.key,
      median(f.cpuMs).toFixed(2),
      ratio(median(f.cpuMs), median(json.cpuMs)),
      (f.bytes / 1024).toFixed(1),
      ratio(f.bytes, json.bytes),
      median(f.wallMs).toFixed(2),
      f.cpuMs.map((x) => x.toFixed(2)).join(' / '),
    ];
  });
  console.log(environment());
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${SPANS} spans per export, ${ROUNDS} rounds of ${TIME_MS} ms per protocol`,
  );
  console.log(
    table(
      [
        'protocol',
        'CPU ms / 1k spans (median round)',
        'vs json',
        'KiB on the wire / 1k spans',
        'vs json',
        'wall ms / export (median round)',
        'CPU ms per round',
      ],
      rows,
    ),
  );
}

await main();
