import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusEndpoint } from './prometheus-endpoint.js';
import { TelemetryEndpointError } from './telemetry-errors.js';

const open: Array<{ close(): Promise<void> }> = [];

function endpoint(opts: { host?: string; port?: number; path?: string } = {}) {
  const errors: TelemetryEndpointError[] = [];
  const ep = new PrometheusEndpoint({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    path: opts.path ?? '/metrics',
    onError: (e) => errors.push(e),
  });
  open.push(ep);
  const provider = new MeterProvider({ readers: [ep.reader] });
  return { ep, errors, meter: provider.getMeter('@agentrace/core') };
}

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe('PrometheusEndpoint', () => {
  it('serves the Prometheus text format on an ephemeral port and reports the real URL', async () => {
    const { ep, meter } = endpoint();
    meter
      .createCounter('agentrace.sessions', { unit: '{session}' })
      .add(2, { 'agentrace.session.status': 'completed' });
    const url = await ep.ready();
    expect(ep.port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${ep.port}/metrics`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE agentrace_sessions_total counter');
    expect(text).toMatch(/agentrace_sessions_total\{agentrace_session_status="completed",[^}]*\} 2/);
    expect(ep.scrapes).toBe(1);
  });

  it('answers 404 off its path (and ignores such requests as scrapes)', async () => {
    const { ep } = endpoint({ path: '/custom' });
    const base = new URL(await ep.ready());
    expect((await fetch(new URL('/metrics', base))).status).toBe(404);
    expect((await fetch(new URL('/custom?x=1', base))).status).toBe(200);
    expect(ep.scrapes).toBe(1);
  });

  it('resolves waitForScrape true after the next scrape, false on timeout, abort or close', async () => {
    const { ep } = endpoint();
    const url = await ep.ready();
    const waiting = ep.waitForScrape();
    await fetch(url);
    await expect(waiting).resolves.toBe(true);

    await expect(ep.waitForScrape({ timeoutMs: 1 })).resolves.toBe(false);
    const controller = new AbortController();
    const aborted = ep.waitForScrape({ signal: controller.signal });
    controller.abort();
    await expect(aborted).resolves.toBe(false);
    await expect(ep.waitForScrape({ signal: AbortSignal.abort() })).resolves.toBe(false);

    const pending = ep.waitForScrape();
    await ep.close();
    await expect(pending).resolves.toBe(false);
    await expect(ep.waitForScrape()).resolves.toBe(false);
  });

  it('reports a port that is taken through onError and ready(), without throwing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { ep, errors } = endpoint({ port });
      const err = await ep.ready().catch((e: unknown) => e);
      expect(TelemetryEndpointError.isInstance(err)).toBe(true);
      expect(err).toMatchObject({
        name: 'TelemetryEndpointError',
        host: '127.0.0.1',
        port,
        code: 'EADDRINUSE',
      });
      expect((err as Error).message).toBe(
        `cannot serve Prometheus metrics on 127.0.0.1:${port} (EADDRINUSE)`,
      );
      expect(errors).toEqual([err]);
      await expect(ep.waitForScrape()).resolves.toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('shows localhost for every-interface binds and brackets IPv6 hosts', async () => {
    const any = endpoint({ port: 0, host: '0.0.0.0' }).ep;
    await any.ready();
    expect(any.url).toBe(`http://localhost:${any.port}/metrics`);
    const v6 = new PrometheusEndpoint({ host: '::1', port: 0, path: '/m', onError: () => {} });
    open.push(v6);
    // Whether or not this machine has IPv6 loopback, the URL is well formed.
    await v6.ready().catch(() => undefined);
    expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+\/m$/);
  });
});

describe('TelemetryEndpointError', () => {
  it('carries the facts and a message for errors without a code', () => {
    const err = new TelemetryEndpointError({ host: undefined, port: 9464, cause: new Error('weird') });
    expect(err).toMatchObject({ host: undefined, port: 9464, code: undefined });
    expect(err.message).toBe('cannot serve Prometheus metrics on *:9464 (weird)');
    expect(new TelemetryEndpointError({ host: 'h', port: 1, cause: 'x' }).message).toBe(
      'cannot serve Prometheus metrics on h:1',
    );
  });
});
