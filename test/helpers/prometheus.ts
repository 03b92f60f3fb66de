import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on loopback (the kernel's pick, released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One scrape job of a generated config. */
export interface ScrapeJob {
  /** `job_name` (default `agentrace-demo`). */
  job?: string;
  /** `host:port` targets. */
  targets: string[];
  /** `metrics_path` (default `/metrics`). */
  metricsPath?: string;
}

/** Options of {@link prometheusConfig}. */
export interface PrometheusConfigOptions {
  jobs: ScrapeJob[];
  /** `scrape_interval` of every job, in ms (default 1000); the timeout is the same. */
  scrapeIntervalMs?: number;
}

/**
 * A Prometheus config scraping `jobs`, as JSON text (JSON is YAML, so Prometheus reads it as it is).
 *
 * @example
 * ```ts
 * const prom = await startPrometheus({ config: prometheusConfig({ jobs: [{ targets: ['127.0.0.1:9464'] }] }) });
 * ```
 */
export function prometheusConfig(opts: PrometheusConfigOptions): string {
  const interval = `${opts.scrapeIntervalMs ?? 1000}ms`;
  return JSON.stringify(
    {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      scrape_configs: opts.jobs.map((j) => ({
        job_name: j.job ?? 'agentrace-demo',
        metrics_path: j.metricsPath ?? '/metrics',
        static_configs: [{ targets: j.targets }],
      })),
    },
    null,
    2,
  );
}

/** Options of {@link startPrometheus}. */
export interface PrometheusServerOptions {
  /** The config file's text (YAML or JSON), e.g. from {@link prometheusConfig}. */
  config: string;
  /** The `prometheus` binary (default: `prometheus` on PATH, Debian's package). */
  binary?: string;
  /** How long to wait for `/-/ready` (ms, default 20 000). */
  startTimeoutMs?: number;
}

/** One series of an instant-query result. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What a query returned, as the HTTP API says it. */
export interface PromQueryResult {
  readonly resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  /** For `vector` (and `scalar`, as one sample with no labels): the samples. */
  readonly samples: readonly PromSample[];
}

/** A real Prometheus the test started: loopback only, a free port, a temp data dir. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the config and the TSDB. */
  readonly dir: string;
  /**
   * An instant query through the HTTP API (`/api/v1/query`).
   *
   * @throws {Error} the query is invalid (Prometheus's error is in the message).
   */
  query(promql: string): Promise<PromQueryResult>;
  /**
   * Runs `promql` until `done(samples)` holds, and resolves with those samples; rejects after `timeoutMs`
   * (default 15 000) with the last result in the message. Prometheus ingests a scrape asynchronously, so a
   * test waits for the data this way rather than for a fixed time.
   */
  waitFor(
    promql: string,
    done: (samples: readonly PromSample[]) => boolean,
    opts?: { timeoutMs?: number },
  ): Promise<readonly PromSample[]>;
  /** Scrape targets and their health (`/api/v1/targets`). */
  targets(): Promise<Array<{ scrapeUrl: string; health: string; lastError: string }>>;
  /** Stops Prometheus (SIGTERM, SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every Prometheus still running when the test process exits, whatever happened to the test. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

interface ApiResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: PromQueryResult['resultType']; result: unknown };
}

function samplesOf(data: NonNullable<ApiResponse['data']>): PromSample[] {
  if (data.resultType === 'scalar') {
    const [, v] = data.result as [number, string];
    return [{ metric: {}, value: Number(v) }];
  }
  if (data.resultType === 'vector') {
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({
      metric: s.metric,
      value: Number(s.value[1]),
    }));
  }
  return [];
}

/**
 * Starts Debian's `prometheus` for a test: `--web.listen-address 127.0.0.1:<free port>`, a temp dir for the config
 * and the TSDB, and resolves once `/-/ready` answers. Always `close()` it (e.g. in `afterAll`); an exit hook kills
 * it anyway if the test process dies first.
 *
 * @throws {Error} it exits or is not ready within `startTimeoutMs` (its output is in the message).
 */
export async function startPrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? 'prometheus';
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'agentrace-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, options.config);
  installExitHook();
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
    child.once('error', (err) => {
      running.delete(child);
      output += String(err);
      resolve(null);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = performance.now() + startTimeoutMs;
  let ready = false;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!ready && !gone && performance.now() < deadline) {
    try {
      ready = (await fetch(`${url}/-/ready`)).ok;
    } catch {
      // Not listening yet.
    }
    if (!ready) await sleep(50);
  }
  if (!ready) {
    await close();
    throw new Error(
      gone
        ? `prometheus exited before it was ready:\n${output}`
        : `prometheus was not ready within ${startTimeoutMs} ms:\n${output}`,
    );
  }

  const query = async (promql: string): Promise<PromQueryResult> => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await res.json()) as ApiResponse;
    if (body.status !== 'success' || !body.data) {
      throw new Error(`query failed (${res.status}): ${body.error ?? 'no data'}\n  ${promql}`);
    }
    return { resultType: body.data.resultType, samples: samplesOf(body.data) };
  };

  return {
    url,
    port,
    dir,
    query,
    async waitFor(promql, done, opts = {}) {
      const until = performance.now() + (opts.timeoutMs ?? 15_000);
      let last: readonly PromSample[] = [];
      for (;;) {
        last = (await query(promql)).samples;
        if (done(last)) return last;
        if (performance.now() > until) {
          throw new Error(`timed out waiting for ${promql}; last result: ${JSON.stringify(last)}`);
        }
        await sleep(100);
      }
    },
    async targets() {
      const res = await fetch(`${url}/api/v1/targets`);
      const body = (await res.json()) as {
        data: { activeTargets: Array<{ scrapeUrl: string; health: string; lastError: string }> };
      };
      return body.data.activeTargets.map(({ scrapeUrl, health, lastError }) => ({
        scrapeUrl,
        health,
        lastError,
      }));
    },
    close,
  };
}

/** Runs `promtool` with `args`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function promtool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({
        code,
        stdout,
        stderr: err && typeof err.code !== 'number' ? `${stderr}${err.message}` : stderr,
      });
    });
  });
}
