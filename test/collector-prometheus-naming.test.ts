/**
 * The Collector Prometheus-exporter emulation (helpers/collector-prometheus.ts) names metrics and labels by the
 * rules of github.com/prometheus/otlptranslator's default strategy, which the Collector's exporter uses. These
 * cases pin those rules (each from the translator's stated behaviour: unit map, per-unit, annotations in braces,
 * `_total` for monotonic sums, `_ratio` for unit-1 gauges, no repeated unit), so a dashboard query tested through
 * the emulation is written against the names a real Collector serves.
 */
import { describe, expect, it } from 'vitest';
import { collectorLabelName, collectorMetricName } from './helpers/collector-prometheus.js';

describe('Collector Prometheus names', () => {
  it.each([
    ['gen_ai.client.operation.duration', 's', 'histogram', 'gen_ai_client_operation_duration_seconds'],
    ['gen_ai.client.token.usage', '{token}', 'histogram', 'gen_ai_client_token_usage'],
    ['agentrace.cost', '{USD}', 'counter', 'agentrace_cost_total'],
    ['agentrace.circuit_breaker.state', '1', 'gauge', 'agentrace_circuit_breaker_state_ratio'],
    ['agentrace.sessions', '{session}', 'counter', 'agentrace_sessions_total'],
    ['http.server.request.body.size', 'By', 'histogram', 'http_server_request_body_size_bytes'],
    ['process.runtime.uptime', 's', 'counter', 'process_runtime_uptime_seconds_total'],
    ['requests.total', '1', 'counter', 'requests_total'],
    ['queue.latency_seconds', 's', 'histogram', 'queue_latency_seconds'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['speed', 'km/h', 'gauge', 'speed_km_per_hour'],
    ['connections.active', '{connection}', 'non-monotonic', 'connections_active'],
    ['cpu.utilization', '1', 'non-monotonic', 'cpu_utilization'],
    ['2xx.responses', '', 'counter', '_2xx_responses_total'],
  ] as const)('%s [%s] as a %s is %s', (name, unit, type, expected) => {
    expect(collectorMetricName(name, unit, type)).toBe(expected);
  });

  it.each([
    ['gen_ai.agent.name', 'gen_ai_agent_name'],
    ['error.type', 'error_type'],
    ['http-method', 'http_method'],
    ['0day', 'key_0day'],
  ])('label %s is %s', (key, expected) => {
    expect(collectorLabelName(key)).toBe(expected);
  });
});
