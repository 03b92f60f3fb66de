// @agentrace/otel-exporter — public API. This file only re-exports.

export type { CostRow, CostSummary } from './cost-summary.js';
export { costSummary } from './cost-summary.js';
export type { CostTableOptions } from './cost-table.js';
export { renderCostTable } from './cost-table.js';
export type { DroppedTelemetryCounts } from './dropped-telemetry.js';
export type { TelemetryEnv } from './env.js';
export { AGENTRACE_TOOL_DURATION_BUCKETS, HISTOGRAM_BUCKETS, histogramViews } from './histogram-views.js';
export { OtlpCompression, OtlpProtocol, UnsupportedProtocolError } from './otlp-protocol.js';
export type { WaitForScrapeOptions } from './prometheus-endpoint.js';
export { PrometheusEndpoint } from './prometheus-endpoint.js';
export type { ResolvedTelemetryConfig } from './resolve-config.js';
export type { ResolvedOtlpTls, ResolvedOtlpTransport } from './resolve-otlp.js';
export { TracesSamplerName } from './sampler.js';
export type { GlobalRegistrations, TelemetryHandle } from './setup-telemetry.js';
export { setupTelemetry } from './setup-telemetry.js';
export { TelemetryEndpointError } from './telemetry-errors.js';
export type { PrometheusOptions, SetupTelemetryOptions, TerminalOutput } from './telemetry-options.js';
export { MetricsExporterName, TracesExporterName } from './telemetry-options.js';
export type { Style } from './terminal-style.js';
export { createStyle } from './terminal-style.js';
export type { TraceTreeOptions } from './trace-tree.js';
export { renderTraceTree } from './trace-tree.js';
