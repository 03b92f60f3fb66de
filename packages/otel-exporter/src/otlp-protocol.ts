import { ValidationError, type ValueOf } from '@agentrace/core';

/**
 * The OTLP transports of the OpenTelemetry exporter specification (`OTEL_EXPORTER_OTLP_PROTOCOL`).
 * `http/protobuf` is the specification's default, and what collectors and vendors document first.
 */
export const OtlpProtocol = {
  HTTP_PROTOBUF: 'http/protobuf',
  HTTP_JSON: 'http/json',
  GRPC: 'grpc',
} as const;
export type OtlpProtocol = ValueOf<typeof OtlpProtocol>;

/** The specification's default protocol. */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = OtlpProtocol.HTTP_PROTOBUF;

/** Compression of OTLP requests (`OTEL_EXPORTER_OTLP_COMPRESSION`). */
export const OtlpCompression = { GZIP: 'gzip', NONE: 'none' } as const;
export type OtlpCompression = ValueOf<typeof OtlpCompression>;

const PROTOCOLS = Object.values(OtlpProtocol) as readonly string[];

/**
 * An OTLP protocol that is not one of {@link OtlpProtocol}, in an option or an `OTEL_*` variable. Unlike other bad
 * environment values, this one is not replaced by a default: telemetry sent in a format the collector was not
 * set up for is lost as surely as none, and silently.
 *
 * @example
 * ```ts
 * setupTelemetry({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' } });
 * // UnsupportedProtocolError: OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, grpc, got "http"
 * ```
 */
export class UnsupportedProtocolError extends ValidationError {
  static override readonly errorName: string = 'UnsupportedProtocolError';
  /** The variable or option that held it (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `protocol`, …). */
  readonly variable: string;
  /** The protocols accepted. */
  readonly accepted: readonly OtlpProtocol[];

  constructor(init: { variable: string; value: unknown }) {
    super({ field: init.variable, value: init.value, expected: `one of ${PROTOCOLS.join(', ')}` });
    this.variable = init.variable;
    this.accepted = Object.values(OtlpProtocol);
  }

  /** Whether `value` is an {@link UnsupportedProtocolError}, also across duplicate package copies. */
  static override isInstance(value: unknown): value is UnsupportedProtocolError {
    // ValidationError.isInstance alone would answer true for every ValidationError.
    return (
      ValidationError.isInstance(value) &&
      value.name === UnsupportedProtocolError.errorName &&
      Array.isArray((value as { accepted?: unknown }).accepted)
    );
  }
}

/**
 * The protocol named by `value` (from `variable`), or undefined when unset.
 *
 * @throws {UnsupportedProtocolError} it names no known protocol.
 */
export function parseProtocol(variable: string, value: unknown): OtlpProtocol | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && PROTOCOLS.includes(value.trim().toLowerCase())) {
    return value.trim().toLowerCase() as OtlpProtocol;
  }
  throw new UnsupportedProtocolError({ variable, value });
}
