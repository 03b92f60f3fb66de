import { captureContentFromEnv, sanitize, semconv as sc } from '@agentrace/core';
import {
  type Attributes,
  type Histogram,
  type Meter,
  type Span,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { McpOutcome } from './mcp-outcome.js';

/** Options shared by the MCP instrumentation and the explicit `instrumentMcp` wrapper. */
export interface McpInstrumentationOptions {
  /**
   * Record tool arguments and results (`gen_ai.tool.call.arguments`/`.result`), masked and cut. Defaults to
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`; off when that is unset.
   */
  captureContent?: boolean;
  /** Longest recorded content string, in UTF-16 code units (default 4096). */
  maxContentLength?: number;
}

/** Default cap on a recorded argument or result. */
export const DEFAULT_MAX_CONTENT_LENGTH = 4096;

interface Instruments {
  readonly clientOperation: Histogram;
  readonly serverOperation: Histogram;
  readonly clientSession: Histogram;
  readonly serverSession: Histogram;
}

const DURATION_ADVICE = { advice: { explicitBucketBoundaries: [...sc.MCP_DURATION_BUCKETS] }, unit: 's' };

/**
 * The tracer, meter and switches one MCP instrumentation records with. Tracer and meter are read through
 * functions so an instrumentation whose providers change (`setTracerProvider`) records with the new ones.
 */
export class McpTelemetry {
  readonly #tracer: () => Tracer;
  readonly #meter: () => Meter;
  readonly #captureContent: () => boolean;
  readonly #maxContentLength: number;
  #instruments: { meter: Meter; value: Instruments } | undefined;
  /** Whether recording is on; wrappers installed earlier call straight through when it is off. */
  enabled = true;

  constructor(tracer: () => Tracer, meter: () => Meter, opts: McpInstrumentationOptions = {}) {
    this.#tracer = tracer;
    this.#meter = meter;
    const fixed = opts.captureContent;
    this.#captureContent = fixed === undefined ? () => captureContentFromEnv() : () => fixed;
    this.#maxContentLength = opts.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH;
  }

  get tracer(): Tracer {
    return this.#tracer();
  }

  /** The four MCP histograms, with the conventions' bucket boundaries (made once per meter). */
  instruments(): Instruments {
    const meter = this.#meter();
    if (this.#instruments?.meter !== meter) {
      this.#instruments = {
        meter,
        value: {
          clientOperation: meter.createHistogram(sc.METRIC_MCP_CLIENT_OPERATION_DURATION, {
            description: 'Duration of an MCP request or notification as observed by its sender.',
            ...DURATION_ADVICE,
          }),
          serverOperation: meter.createHistogram(sc.METRIC_MCP_SERVER_OPERATION_DURATION, {
            description: 'Duration of an MCP request or notification as observed by its receiver.',
            ...DURATION_ADVICE,
          }),
          clientSession: meter.createHistogram(sc.METRIC_MCP_CLIENT_SESSION_DURATION, {
            description: 'Duration of an MCP session as observed by the MCP client.',
            ...DURATION_ADVICE,
          }),
          serverSession: meter.createHistogram(sc.METRIC_MCP_SERVER_SESSION_DURATION, {
            description: 'Duration of an MCP session as observed by the MCP server.',
            ...DURATION_ADVICE,
          }),
        },
      };
    }
    return this.#instruments.value;
  }

  /** Records `value` as a content attribute when content capture is on (masked, cut to the length limit). */
  content(span: Span, key: string, value: unknown): void {
    if (value === undefined || !this.#captureContent() || !span.isRecording()) return;
    let text: string;
    try {
      text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    } catch {
      text = String(value);
    }
    span.setAttribute(key, sanitize(text, this.#maxContentLength));
  }
}

/** Marks a span with its outcome: `error.type`, the JSON-RPC code and an ERROR status when it failed. */
export function applyOutcome(span: Span, outcome: McpOutcome): void {
  if (outcome.errorType === undefined) return;
  span.setAttribute(ATTR_ERROR_TYPE, outcome.errorType);
  if (outcome.rpcCode !== undefined) span.setAttribute(sc.ATTR_RPC_RESPONSE_STATUS_CODE, outcome.rpcCode);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(outcome.message !== undefined && { message: outcome.message }),
  });
}

/** The outcome's attributes for a duration metric. */
export function outcomeMetricAttributes(outcome: McpOutcome): Attributes {
  const attrs: Attributes = {};
  if (outcome.errorType !== undefined) attrs[ATTR_ERROR_TYPE] = outcome.errorType;
  if (outcome.rpcCode !== undefined) attrs[sc.ATTR_RPC_RESPONSE_STATUS_CODE] = outcome.rpcCode;
  return attrs;
}

/** Runs a piece of telemetry work; a telemetry failure never reaches the app. */
export function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
