/**
 * A real scrape of the Prometheus endpoint `setupTelemetry` serves: which series agentrace's metrics become, with
 * which labels and values. The names asserted here are the ones documented in packages/otel-exporter/README.md.
 */
import {
  AgentSession,
  CircuitBreaker,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
  semconv as sc,
  UsageSnapshot,
} from '@agentrace/core';
import { setupTelemetry, type TelemetryHandle } from '@agentrace/otel-exporter';
import { PriceTable } from '@agentrace/pricing';
import { afterEach, describe, expect, it } from 'vitest';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format: samples, and `# TYPE` / `# UNIT` / `# HELP` metadata. */
function parse(text: string) {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const units = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
    } else if (line.startsWith('# UNIT ')) {
      const [, , name, unit] = line.split(' ');
      units.set(name!, unit!);
    } else if (line && !line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
      }
      samples.push({ name: m[1]!, labels, value: Number(m[3]) });
    }
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { samples, types, units, find };
}

const handles: TelemetryHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
});

describe('Prometheus scrape of agentrace metrics', () => {
  it('exposes tokens, cost, durations, recovery, breaker, sessions, tools and budget under the documented names', async () => {
    const telemetry = setupTelemetry({
      serviceName: 'prom-test',
      env: {},
      registerGlobal: false,
      traces: 'none',
      metrics: [],
      prometheus: { host: '127.0.0.1', port: 0 },
      warn: (m) => {
        throw new Error(`unexpected warning: ${m}`);
      },
    });
    handles.push(telemetry);
    expect(telemetry.config.metrics.exporters).toEqual(['prometheus']);

    const pricing = new PriceTable();
    pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
    const agent = new AgentSession({
      role: 'researcher',
      phase: 'research',
      provider: 'openai',
      model: 'gpt-4o',
      pricing,
      budgetUsd: 0.001,
      circuitBreaker: new CircuitBreaker({ name: 'llm', failureThreshold: 1 }),
      permissions: new PermissionEnforcer(
        new PermissionPolicy({
          roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY } },
          toolRequirements: { delete_file: PermissionMode.FULL_ACCESS },
        }),
      ),
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    });
    const cost = await agent.run(async (s) => {
      await s.runTurn(async () => 'a', {
        usage: new UsageSnapshot({ inputTokens: 1000, outputTokens: 100 }),
      });
      await s.runTurn(async () => 'b', { usage: new UsageSnapshot({ inputTokens: 3000, outputTokens: 50 }) });
      await s
        .runTurn(async () => {
          throw Object.assign(new Error('slow down'), { status: 429 });
        })
        .catch(() => undefined);
      await s.runTool('web_search', async () => 'r');
      await s.runTool('delete_file', async () => 'x').catch(() => undefined);
      return s.tracker.totalCost();
    });

    const url = await telemetry.prometheus!.ready();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = telemetry.prometheus!.waitForScrape();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const p = parse(await res.text());
    await expect(scraped).resolves.toBe(true);

    const agentLabels = { gen_ai_agent_name: 'researcher', otel_scope_name: '@agentrace/core' };
    const model = { ...agentLabels, gen_ai_request_model: 'gpt-4o', gen_ai_provider_name: 'openai' };

    // agentrace.cost, unit {USD}: a counter named agentrace_cost_total (the unit goes to # UNIT, not the name).
    expect(p.types.get('agentrace_cost_total')).toBe('counter');
    expect(p.units.get('agentrace_cost_total')).toBe('{USD}');
    const costSeries = p.find('agentrace_cost_total', model);
    expect(costSeries).toHaveLength(1);
    expect(costSeries[0]!.value).toBeCloseTo(cost, 12);
    expect(cost).toBeCloseTo((4000 * 2.5 + 150 * 10) / 1e6, 12);

    // gen_ai.client.token.usage: histogram with the semconv buckets, by token type.
    expect(p.types.get('gen_ai_client_token_usage')).toBe('histogram');
    expect(p.units.get('gen_ai_client_token_usage')).toBe('{token}');
    expect(p.find('gen_ai_client_token_usage_sum', { ...model, gen_ai_token_type: 'input' })[0]?.value).toBe(
      4000,
    );
    expect(p.find('gen_ai_client_token_usage_sum', { ...model, gen_ai_token_type: 'output' })[0]?.value).toBe(
      150,
    );
    expect(
      p.find('gen_ai_client_token_usage_count', { ...model, gen_ai_token_type: 'input' })[0]?.value,
    ).toBe(2);
    const tokenBuckets = p
      .find('gen_ai_client_token_usage_bucket', { ...model, gen_ai_token_type: 'input' })
      .map((s) => s.labels.le);
    expect(tokenBuckets).toEqual([...sc.GEN_AI_TOKEN_USAGE_BUCKETS.map(String), '+Inf']);
    expect(
      p.find('gen_ai_client_token_usage_bucket', { ...model, gen_ai_token_type: 'input', le: '1024' })[0]
        ?.value,
    ).toBe(1);

    // gen_ai.client.operation.duration: seconds, semconv buckets, error.type on the failed call.
    expect(p.units.get('gen_ai_client_operation_duration')).toBe('s');
    const durationBuckets = p.find('gen_ai_client_operation_duration_bucket', model).map((s) => s.labels.le);
    expect(durationBuckets.slice(0, sc.GEN_AI_DURATION_BUCKETS.length)).toEqual(
      sc.GEN_AI_DURATION_BUCKETS.map(String),
    );
    const failed = p.find('gen_ai_client_operation_duration_count', { ...model, error_type: 'rate_limit' });
    expect(failed.map((s) => s.value)).toEqual([1]);
    const allCalls = p.find('gen_ai_client_operation_duration_count', model).reduce((a, s) => a + s.value, 0);
    expect(allCalls).toBe(3);

    // agentrace's own counters and gauge.
    expect(
      p.find('agentrace_recovery_attempts_total', {
        ...agentLabels,
        agentrace_recovery_scenario: 'rate_limit',
      }).length,
    ).toBeGreaterThan(0);
    expect(
      p.find('agentrace_circuit_breaker_state', { agentrace_circuit_breaker_name: 'llm' })[0]?.value,
    ).toBe(2);
    expect(p.types.get('agentrace_circuit_breaker_state')).toBe('gauge');
    expect(
      p.find('agentrace_circuit_breaker_transitions_total', {
        agentrace_circuit_breaker_name: 'llm',
        agentrace_circuit_breaker_from_state: 'closed',
        agentrace_circuit_breaker_state: 'open',
      })[0]?.value,
    ).toBe(1);
    expect(
      p.find('agentrace_sessions_total', { ...agentLabels, agentrace_session_status: 'completed' })[0]?.value,
    ).toBe(1);
    expect(
      p.find('agentrace_tool_calls_total', {
        gen_ai_tool_name: 'delete_file',
        agentrace_tool_outcome: 'denied',
      })[0]?.value,
    ).toBe(1);
    expect(
      p.find('agentrace_tool_duration_bucket', { gen_ai_tool_name: 'web_search', le: '0.001' }),
    ).toHaveLength(1);
    expect(p.find('agentrace_budget_exceeded_total', agentLabels)[0]?.value).toBeGreaterThanOrEqual(1);

    // The resource as target_info.
    expect(p.find('target_info', { service_name: 'prom-test' })).toHaveLength(1);

    // The handle's cost summary agrees with the scrape.
    const summary = await telemetry.costSummary();
    expect(summary.rows).toEqual([
      {
        agent: 'researcher',
        model: 'gpt-4o',
        turns: 2,
        errors: 1,
        inputTokens: 4000,
        outputTokens: 150,
        costUsd: costSeries[0]!.value,
      },
    ]);
  });
});
