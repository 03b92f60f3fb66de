/** Telemetry that was lost instead of exported, since `setupTelemetry`. */
export interface DroppedTelemetryCounts {
  /** Spans not delivered: failed or timed-out exports, a full queue, ended after shutdown, or still queued when shutdown gave up. */
  readonly spans: number;
  /** Metric exports (OTLP pushes) that failed or timed out. */
  readonly metricExports: number;
  /** Data points those failed metric exports carried. */
  readonly metricPoints: number;
}

/**
 * Counts dropped telemetry and reports it once.
 *
 * A collector that is down fails every export, every few seconds, for as long as it is down: one line per failure
 * would flood the app's logs (and the SDK's own error handler would do exactly that). So the first drop is
 * reported with its reason and the counts stay readable on the handle; nothing more is printed.
 */
export class DroppedTelemetry {
  #spans = 0;
  #metricExports = 0;
  #metricPoints = 0;
  #reported = false;
  readonly #report: (message: string) => void;

  constructor(report: (message: string) => void) {
    this.#report = report;
  }

  /** Counts `count` spans as dropped; `reason` is reported if this is the first drop. */
  spans(count: number, reason: string): void {
    if (count <= 0) return;
    this.#spans += count;
    this.#first(reason);
  }

  /** Counts one failed metric export carrying `points` data points. */
  metricExport(points: number, reason: string): void {
    this.#metricExports += 1;
    this.#metricPoints += points;
    this.#first(reason);
  }

  /** Whether the one report has been made. */
  get reported(): boolean {
    return this.#reported;
  }

  /** The counts as they are now. */
  counts(): DroppedTelemetryCounts {
    return { spans: this.#spans, metricExports: this.#metricExports, metricPoints: this.#metricPoints };
  }

  #first(reason: string): void {
    if (this.#reported) return;
    this.#reported = true;
    try {
      this.#report(
        `agentrace: telemetry is being dropped (${reason}); the application is unaffected. ` +
          'Further drops are counted on the telemetry handle (dropped) but not reported again.',
      );
    } catch {
      // A reporter that throws must not turn a telemetry problem into an application problem.
    }
  }
}

/** A short description of an export failure: HTTP status, gRPC status or network error code, and message. */
export function describeExportError(error: unknown): string {
  if (!(error instanceof Error)) return error === undefined ? 'unknown error' : String(error);
  const code = (error as { code?: unknown }).code;
  const parts: string[] = [];
  // A gRPC status error carries its numeric code too, and its message already starts with it ("14 UNAVAILABLE: …").
  if (typeof code === 'number' && error.message.startsWith(`${code} `)) return `gRPC ${error.message}`;
  if (typeof code === 'number') parts.push(`HTTP ${code}`);
  else if (typeof code === 'string' && !error.message.includes(code)) parts.push(code);
  if (error.message) parts.push(error.message);
  return parts.length > 0 ? parts.join(' ') : error.name;
}

/** The URL without credentials, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
