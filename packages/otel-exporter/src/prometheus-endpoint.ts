import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { TelemetryEndpointError } from './telemetry-errors.js';

/** Options of {@link PrometheusEndpoint.waitForScrape}. */
export interface WaitForScrapeOptions {
  /** Give up after this long (resolves `false`). Default: wait until a scrape or the signal. */
  timeoutMs?: number;
  /** Stop waiting (resolves `false`). */
  signal?: AbortSignal;
}

/**
 * The Prometheus scrape endpoint: the SDK's Prometheus reader, served by agentrace's own HTTP server.
 *
 * agentrace serves it rather than letting the exporter do so because the exporter cannot bind an ephemeral port
 * (it treats port 0 as "unset"), cannot say which port it bound, and reports a taken port only through the
 * diagnostic logger. The server is unref'd: an endpoint never keeps a finished process alive, except while
 * someone waits for a scrape ({@link waitForScrape}).
 */
export class PrometheusEndpoint {
  /** The metric reader to register on the meter provider. */
  readonly reader: PrometheusExporter;
  readonly #server: Server;
  readonly #host: string | undefined;
  readonly #path: string;
  #port: number;
  #scrapes = 0;
  #waiters = new Set<(scraped: boolean) => void>();
  #listening: Promise<void>;
  #error: TelemetryEndpointError | undefined;

  constructor(opts: {
    host?: string;
    port: number;
    path: string;
    onError: (err: TelemetryEndpointError) => void;
  }) {
    this.#host = opts.host;
    this.#port = opts.port;
    this.#path = opts.path;
    this.reader = new PrometheusExporter({ preventServerStart: true });
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.unref();
    this.#listening = new Promise<void>((resolve) => {
      this.#server.once('error', (err) => {
        this.#error = new TelemetryEndpointError({ host: this.#host, port: this.#port, cause: err });
        opts.onError(this.#error);
        resolve();
      });
      this.#server.listen({ port: this.#port, ...(this.#host !== undefined && { host: this.#host }) }, () => {
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The scrape URL. With port 0 the real port is known once {@link ready} resolves. */
  get url(): string {
    const host =
      this.#host === undefined || this.#host === '0.0.0.0' || this.#host === '::' ? 'localhost' : this.#host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${this.#port}${this.#path}`;
  }

  /** The bound port (the requested one until listening). */
  get port(): number {
    return this.#port;
  }

  /** Completed scrapes so far. */
  get scrapes(): number {
    return this.#scrapes;
  }

  /**
   * Resolves with the URL once the endpoint listens.
   *
   * @throws {TelemetryEndpointError} (as a rejection) the endpoint could not listen.
   */
  async ready(): Promise<string> {
    await this.#listening;
    if (this.#error) throw this.#error;
    return this.url;
  }

  /**
   * Resolves `true` after the next completed scrape, `false` on timeout, abort or shutdown. While waiting, the
   * endpoint keeps the process alive, so a short-lived job can stay up until Prometheus has collected its metrics.
   */
  waitForScrape(opts: WaitForScrapeOptions = {}): Promise<boolean> {
    if (this.#error || !this.#server.listening) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      if (opts.signal?.aborted) {
        resolve(false);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const done = (scraped: boolean) => {
        this.#waiters.delete(done);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (this.#waiters.size === 0) this.#server.unref();
        resolve(scraped);
      };
      const onAbort = () => done(false);
      this.#waiters.add(done);
      this.#server.ref();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => done(false), opts.timeoutMs);
    });
  }

  /** Stops listening; waiters resolve `false`. */
  async close(): Promise<void> {
    await this.#listening;
    for (const waiter of [...this.#waiters]) waiter(false);
    this.#server.unref();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let pathname: string | undefined;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = undefined;
    }
    if (pathname !== this.#path) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.once('finish', () => {
      this.#scrapes += 1;
      for (const waiter of [...this.#waiters]) waiter(true);
    });
    this.reader.getMetricsRequestHandler(req, res);
  }
}
