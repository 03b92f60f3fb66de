import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TelemetryEnv } from '@agentrace/otel-exporter';

/** The docker-compose stack's OTLP/HTTP receiver (its OpenTelemetry Collector), as seen from the host. */
export const STACK_OTLP_ENDPOINT = 'http://localhost:4318';

/** How long `--stack` pauses between rounds: the stack's Prometheus scrape interval (5 s) and a margin. */
export const STACK_ROUND_PAUSE_MS = 6000;

/**
 * The environment for a run against the docker-compose stack: traces and metrics to its Collector on localhost
 * unless an OTLP endpoint is already set (an explicit setting always wins).
 */
export function stackEnv(env: TelemetryEnv): TelemetryEnv {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env;
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: STACK_OTLP_ENDPOINT };
}

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Waits until something accepts TCP connections at `url`'s host and port (a collector still starting after
 * `docker compose up -d`), trying every `intervalMs`. Resolves `false` after `timeoutMs` or on abort.
 */
export async function waitForCollector(
  url: string,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  // A gRPC endpoint may be a bare host:port.
  const { hostname, port, protocol } = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  const host = hostname.replace(/^\[|\]$/g, '');
  const portNumber = port ? Number(port) : protocol === 'https:' ? 443 : 80;
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) return false;
    if (await accepts(host, portNumber, Math.min(1000, opts.timeoutMs))) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    try {
      await sleep(
        Math.min(opts.intervalMs ?? 500, left),
        undefined,
        opts.signal ? { signal: opts.signal } : {},
      );
    } catch {
      return false;
    }
  }
}
