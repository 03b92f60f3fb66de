import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OtlpAttr } from './otlp.js';

/** Where the child processes run: `test/`, so its `node_modules` resolve the packages (the built ones). */
export const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));

/** What a child process ended with. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to close (ms), for comparisons within one test run only. */
  readonly ms: number;
}

/** How to start one. */
export interface ChildOptions {
  /** Preload flags and modules, e.g. `['--import', '@agentrace/instrumentation/register']`; none for a baseline. */
  readonly preload?: readonly string[];
  /** The app, relative to `test/`. */
  readonly app: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each stdout chunk and a way to signal the child (e.g. SIGTERM once it prints READY). */
  readonly onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void;
  /** Kill it after this long (ms), so a hang fails the test instead of stalling it. Default 30 000. */
  readonly killAfterMs?: number;
}

/** Fails with a clear message when the packages the child loads have not been built. */
export function requireBuilt(): void {
  if (!existsSync(new URL('../../packages/instrumentation/dist/register.js', import.meta.url))) {
    throw new Error('packages/instrumentation is not built: run `pnpm run build` first');
  }
}

// Variables of the machine's own OTel setup must not leak into a child: each test says what it wants.
const CLEARED = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_SDK_DISABLED',
  'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  'NODE_OPTIONS',
];

/** Runs `node [preload…] app` in `test/` and collects what it printed and how it ended. */
export function runChild(opts: ChildOptions): Promise<ChildRun> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const name of CLEARED) delete env[name];
  Object.assign(env, opts.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.preload ?? []), opts.app], {
      cwd: TEST_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The `--import` / `--require` preload of agentrace's register entry. */
export const REGISTER = {
  import: ['--import', '@agentrace/instrumentation/register'],
  require: ['--require', '@agentrace/instrumentation/register'],
} as const;

/** An OTLP/JSON-shaped metric (as the receivers normalise both protocols). */
export interface OtlpMetric {
  name: string;
  sum?: { dataPoints: Array<{ asDouble?: number; asInt?: number | string; attributes?: OtlpAttr[] }> };
  histogram?: { dataPoints: Array<{ count?: number | string; attributes?: OtlpAttr[] }> };
}

/** Every metric of every `/v1/metrics` request, by name (the last export wins: they are cumulative). */
export function metricsOf(requests: ReadonlyArray<{ path: string; body: unknown }>): Map<string, OtlpMetric> {
  const out = new Map<string, OtlpMetric>();
  for (const r of requests.filter((q) => q.path === '/v1/metrics')) {
    const body = r.body as { resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: OtlpMetric[] }> }> };
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) out.set(m.name, m);
    }
  }
  return out;
}
