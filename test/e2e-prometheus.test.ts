/**
 * The docker-compose stack's metrics path, end to end without Docker: the demo sends its metrics over OTLP
 * (http/protobuf, the default, as in `pnpm stack:demo`) to a receiver on loopback that decodes them with the
 * published `.proto` files; an emulation of the OpenTelemetry Collector's Prometheus exporter
 * (helpers/collector-prometheus.ts: its naming rules, unit suffixes and `_total` included, as the collector-contrib
 * source states them) serves them; and a real Prometheus (Debian's `prometheus`, run with the stack's own config,
 * the Collector's address pointed at loopback) scrapes that. The test then asks the Prometheus HTTP API for the
 * token, cost, duration, recovery, breaker, session, tool and budget series under the names the Collector
 * produces, checks their labels and values against what the demo itself recorded, and runs every PromQL query of
 * the Grafana dashboard, each of which must return data. The Collector itself is not run: its translation is
 * emulated, which is what this test can and cannot vouch for.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../examples/demo/run-demo.js';
import { CollectorPrometheusExporter, serveCollectorExporter } from './helpers/collector-prometheus.js';
import { startOtlpProtobufReceiver } from './helpers/otlp-proto.js';
import { type PrometheusServer, type PromSample, startPrometheus } from './helpers/prometheus.js';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
// The Collector's exporter makes service.name the job; the stack's scrape config keeps it (honor_labels).
const JOB = 'job="agentrace-demo"';
const RUNS = 2;

let prom: PrometheusServer | undefined;
let receiver: Awaited<ReturnType<typeof startOtlpProtobufReceiver>> | undefined;
let collector: Awaited<ReturnType<typeof serveCollectorExporter>> | undefined;
let result: DemoResult;
let printed = '';

beforeAll(async () => {
  const exporter = new CollectorPrometheusExporter();
  receiver = await startOtlpProtobufReceiver({
    onRequest: (r) => {
      if (r.path === '/v1/metrics') exporter.accept(r.body);
    },
  });
  collector = await serveCollectorExporter(exporter);
  const stackConfig = await readFile(root('stack/prometheus/prometheus.yml'), 'utf8');
  // The stack's config, as the container runs it, except: the Collector is on loopback, and scrapes are 10× as often.
  expect(stackConfig).toContain('otel-collector:8889');
  expect(stackConfig).toMatch(/honor_labels: true/);
  expect(stackConfig).toMatch(/scrape_interval: 5s/);
  const config = stackConfig
    .replace('otel-collector:8889', collector.address)
    .replace(/(scrape_interval|scrape_timeout|evaluation_interval): 5s/g, '$1: 500ms');
  prom = await startPrometheus({ config });
  result = await runDemo({
    runs: RUNS,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    // As --stack pauses for a scrape: here, until Prometheus has the round's sessions.
    betweenRounds: async (round) => {
      await prom?.waitFor(`sum(agentrace_sessions_total{${JOB}})`, (s) => s[0]?.value === 3 * round);
    },
    output: {
      write: (s: string) => {
        printed += s;
        return true;
      },
    },
  });
  // The demo flushed at shutdown; Prometheus scrapes and ingests asynchronously.
  await prom.waitFor(`sum(agentrace_sessions_total{${JOB}})`, (s) => s[0]?.value === 3 * RUNS);
  // rate() and increase() need two samples of the final figures.
  await prom.waitFor(
    `min(count_over_time(agentrace_sessions_total{${JOB}}[1m]))`,
    (s) => (s[0]?.value ?? 0) >= 2,
  );
}, 60_000);

afterAll(async () => {
  await prom?.close();
  await collector?.close();
  await receiver?.close();
});

/** Samples of an instant query, keyed by the given labels joined with `|`. */
async function byLabels(promql: string, labels: string[]): Promise<Map<string, PromSample>> {
  const { samples } = await (prom as PrometheusServer).query(promql);
  return new Map(samples.map((s) => [labels.map((l) => s.metric[l] ?? '').join('|'), s]));
}

async function value(promql: string): Promise<number | undefined> {
  const { samples } = await (prom as PrometheusServer).query(promql);
  expect(samples.length, promql).toBeLessThanOrEqual(1);
  return samples[0]?.value;
}

describe('Prometheus scraping the Collector path', () => {
  it('got everything over OTLP/protobuf, scraped the exporter, and the demo showed everything it promises', async () => {
    expect(result.dropped).toEqual({ spans: 0, metricExports: 0, metricPoints: 0 });
    expect(result.metricsUrl).toBeUndefined();
    expect(new Set(receiver?.requests.map((r) => r.contentType))).toEqual(
      new Set(['application/x-protobuf']),
    );
    expect(result.highlights.filter((h) => !h.shown)).toEqual([]);
    const targets = await (prom as PrometheusServer).targets();
    expect(targets.find((t) => t.scrapeUrl === `http://${collector?.address}/metrics`)).toMatchObject({
      health: 'up',
    });
    // The resource, minus the attributes that became job and instance.
    const info = await (prom as PrometheusServer).query(`target_info{${JOB}}`);
    expect(info.samples).toHaveLength(1);
    expect(info.samples[0]?.metric).toMatchObject({
      agentrace_demo_simulated: 'true',
      telemetry_sdk_language: 'nodejs',
    });
    expect(info.samples[0]?.metric.service_name).toBeUndefined();
  });

  it('has cost and token series per agent and model equal to the demo cost table', async () => {
    const rows = result.costs.rows;
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const keys = ['gen_ai_agent_name', 'gen_ai_request_model'];
    const cost = await byLabels(`sum by (${keys}) (agentrace_cost_total{${JOB}})`, keys);
    const input = await byLabels(
      `sum by (${keys}) (gen_ai_client_token_usage_sum{${JOB}, gen_ai_token_type="input"})`,
      keys,
    );
    const output = await byLabels(
      `sum by (${keys}) (gen_ai_client_token_usage_sum{${JOB}, gen_ai_token_type="output"})`,
      keys,
    );
    const calls = await byLabels(
      `sum by (${keys}) (gen_ai_client_token_usage_count{${JOB}, gen_ai_token_type="input"})`,
      keys,
    );
    // A row of failed model calls only (errors, no usage) has no cost or token series.
    expect([...cost.keys()].sort()).toEqual(
      rows
        .filter((r) => r.turns > 0)
        .map((r) => `${r.agent}|${r.model}`)
        .sort(),
    );
    for (const row of rows.filter((r) => r.turns > 0)) {
      const key = `${row.agent}|${row.model}`;
      expect(cost.get(key)?.value, key).toBeCloseTo(row.costUsd, 10);
      expect(input.get(key)?.value, key).toBe(row.inputTokens);
      expect(output.get(key)?.value, key).toBe(row.outputTokens);
      expect(calls.get(key)?.value, key).toBe(row.turns);
    }
    // The same figures, summed from the turns the demo reported (its own records, not its metrics).
    const turns = result.rounds.flatMap((r) => r.turns);
    for (const row of rows) {
      const served = turns.filter((t) => t.agent === row.agent && t.model === row.model);
      expect(served.reduce((s, t) => s + t.costUsd, 0)).toBeCloseTo(row.costUsd, 10);
      expect(served.reduce((s, t) => s + t.inputTokens, 0)).toBe(row.inputTokens);
    }
    expect(await value(`sum(agentrace_cost_total{${JOB}})`)).toBeCloseTo(result.costs.total.costUsd, 10);
  });

  it('labels the series with the GenAI semantic conventions and the simulated providers', async () => {
    const { samples } = await (prom as PrometheusServer).query(`agentrace_cost_total{${JOB}}`);
    for (const s of samples) {
      expect(s.metric).toMatchObject({ gen_ai_operation_name: 'chat', otel_scope_name: '@agentrace/core' });
      // An empty schema URL is no label at all in Prometheus.
      expect(s.metric.otel_scope_schema_url).toBeUndefined();
      expect(s.metric.gen_ai_provider_name).toMatch(/^simulated\.(openai|anthropic)$/);
      expect(s.metric.gen_ai_response_model).toMatch(/^(gpt-4o|claude-)/);
    }
    const served = await byLabels(
      `sum by (gen_ai_provider_name, gen_ai_request_model) (gen_ai_client_token_usage_count{${JOB}, gen_ai_token_type="output"})`,
      ['gen_ai_provider_name', 'gen_ai_request_model'],
    );
    expect([...served.keys()].sort()).toEqual([
      'simulated.anthropic|claude-sonnet-4-5',
      'simulated.openai|gpt-4o',
      'simulated.openai|gpt-4o-mini',
    ]);
  });

  it('has model-call durations per attempt and turn durations per turn, in seconds, on the semconv buckets', async () => {
    const turns = result.rounds.flatMap((r) => r.turns);
    const calls = await byLabels(
      `sum by (gen_ai_agent_name) (gen_ai_client_operation_duration_seconds_count{${JOB}})`,
      ['gen_ai_agent_name'],
    );
    const perTurn = await byLabels(
      `sum by (gen_ai_agent_name) (agentrace_turn_duration_seconds_count{${JOB}})`,
      ['gen_ai_agent_name'],
    );
    for (const agent of ['researcher', 'writer', 'editor']) {
      const mine = turns.filter((t) => t.agent === agent);
      expect(calls.get(agent)?.value, agent).toBe(mine.reduce((n, t) => n + t.attempts.length, 0));
      expect(perTurn.get(agent)?.value, agent).toBe(mine.length);
    }
    const failed = await byLabels(
      `sum by (error_type) (gen_ai_client_operation_duration_seconds_count{${JOB}, error_type!=""})`,
      ['error_type'],
    );
    const expectedFailed = new Map<string, number>();
    for (const a of turns.flatMap((t) => t.attempts).filter((x) => x.outcome === 'failed')) {
      expectedFailed.set(a.errorType ?? '', (expectedFailed.get(a.errorType ?? '') ?? 0) + 1);
    }
    expect(new Map([...failed].map(([k, v]) => [k, v.value]))).toEqual(expectedFailed);
    const les = await byLabels(`sum by (le) (gen_ai_client_operation_duration_seconds_bucket{${JOB}})`, [
      'le',
    ]);
    expect(
      [...les.keys()].map((le) => (le === '+Inf' ? Infinity : Number(le))).sort((a, b) => a - b),
    ).toEqual([
      0.01,
      0.02,
      0.04,
      0.08,
      0.16,
      0.32,
      0.64,
      1.28,
      2.56,
      5.12,
      10.24,
      20.48,
      40.96,
      81.92,
      Infinity,
    ]);
    // The recovered turn waited 250 ms (Retry-After) plus a 300 ms timeout: the turn lands above 0.32 s.
    const slow = await value(
      `sum(agentrace_turn_duration_seconds_count{${JOB}}) - sum(agentrace_turn_duration_seconds_bucket{${JOB}, le="0.32"})`,
    );
    expect(slow).toBeGreaterThanOrEqual(RUNS);
  });

  it('counts recovery attempts by agent, scenario and steps as the attempt chains show them', async () => {
    const expected = new Map<string, number>();
    for (const turn of result.rounds.flatMap((r) => r.turns)) {
      for (const a of turn.attempts.filter((x) => x.outcome === 'failed')) {
        const steps = a.steps.filter((s) => s.status === 'done').map((s) => s.step);
        const key = `${turn.agent}|${a.scenario}|attempted|${steps.join('+') || 'none'}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    expect([...expected.keys()]).toEqual(
      expect.arrayContaining([
        'researcher|rate_limit|attempted|retry_with_backoff+switch_provider',
        'researcher|llm_timeout|attempted|retry_with_backoff',
        'writer|provider_failure|attempted|switch_provider+retry_with_backoff',
      ]),
    );
    const keys = [
      'gen_ai_agent_name',
      'agentrace_recovery_scenario',
      'agentrace_recovery_outcome',
      'agentrace_recovery_step',
    ];
    const actual = await byLabels(
      `sum by (${keys}) (agentrace_recovery_attempts_total{${JOB}, agentrace_recovery_outcome="attempted"})`,
      keys,
    );
    expect(new Map([...actual].map(([k, s]) => [k, s.value]))).toEqual(expected);
    // Every recovered turn also records one success.
    const recovered = result.rounds.flatMap((r) => r.turns).filter((t) => t.attempts.length > 1).length;
    expect(
      await value(`sum(agentrace_recovery_attempts_total{${JOB}, agentrace_recovery_outcome="succeeded"})`),
    ).toBe(recovered);
  });

  it('has the breaker transitions the demo saw, and each breaker closed at the end', async () => {
    const keys = [
      'agentrace_circuit_breaker_name',
      'agentrace_circuit_breaker_from_state',
      'agentrace_circuit_breaker_state',
    ];
    const actual = await byLabels(`agentrace_circuit_breaker_transitions_total{${JOB}}`, keys);
    const expected = new Map<string, number>();
    for (const t of result.transitions) {
      const key = `${t.breaker}|${t.from}|${t.to}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(expected.get('simulated.openai|closed|open')).toBe(RUNS);
    expect(new Map([...actual].map(([k, s]) => [k, s.value]))).toEqual(expected);
    // A gauge of unit 1: the Collector names it ..._ratio.
    const state = await byLabels(`agentrace_circuit_breaker_state_ratio{${JOB}}`, [
      'agentrace_circuit_breaker_name',
    ]);
    expect(new Map([...state].map(([k, s]) => [k, s.value]))).toEqual(
      new Map([
        ['simulated.openai', 0],
        ['simulated.anthropic', 0],
      ]),
    );
  });

  it('counts sessions, tool outcomes and budget overruns per agent', async () => {
    const sessions = await byLabels(`agentrace_sessions_total{${JOB}}`, [
      'gen_ai_agent_name',
      'agentrace_session_status',
    ]);
    expect(new Map([...sessions].map(([k, s]) => [k, s.value]))).toEqual(
      new Map([
        ['researcher|completed', RUNS],
        ['writer|completed', RUNS],
        ['editor|completed', RUNS],
      ]),
    );
    const tools = await byLabels(`agentrace_tool_calls_total{${JOB}}`, [
      'gen_ai_agent_name',
      'gen_ai_tool_name',
      'agentrace_tool_outcome',
    ]);
    const expected = new Map<string, number>();
    for (const t of result.rounds.flatMap((r) => r.tools)) {
      const key = `${t.agent}|${t.tool}|${t.outcome}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(new Map([...tools].map(([k, s]) => [k, s.value]))).toEqual(expected);
    expect(expected.get('researcher|write_file|denied')).toBe(RUNS);
    expect(expected.get('researcher|fetch_page|blocked')).toBe(RUNS);
    const budgetEvents = result.rounds
      .flatMap((r) => r.events)
      .filter((e) => e.event === 'agent.budget.exceeded');
    expect(budgetEvents.length).toBe(RUNS);
    expect(await value(`sum(agentrace_budget_exceeded_total{${JOB}, gen_ai_agent_name="writer"})`)).toBe(
      RUNS,
    );
  });
});

interface DashboardTarget {
  refId: string;
  expr?: string;
  datasource?: { type: string; uid: string };
}
interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
}

/** Grafana's interval variables, as Grafana would expand them over this short test run. */
function expand(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '10m')
    .replaceAll('$__interval', '15s');
}

describe('the Grafana dashboard against that Prometheus', () => {
  it('runs every panel query and gets data', async () => {
    const dashboard = JSON.parse(
      await readFile(root('stack/grafana/dashboards/agent-cost-and-reliability.json'), 'utf8'),
    ) as { panels: DashboardPanel[] };
    const queries = dashboard.panels.flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => (t.datasource ?? p.datasource)?.type === 'prometheus')
        .map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr ?? '' })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const empty: string[] = [];
    for (const q of queries) {
      expect(q.expr, `${q.panel} ${q.refId}`).not.toBe('');
      const { resultType, samples } = await (prom as PrometheusServer).query(expand(q.expr));
      expect(['vector', 'scalar'], q.panel).toContain(resultType);
      if (samples.length === 0 || samples.some((s) => !Number.isFinite(s.value))) {
        empty.push(`${q.panel} ${q.refId}: ${JSON.stringify(samples)}`);
      }
    }
    expect(empty).toEqual([]);
  });

  it('shows the cost of the run', async () => {
    // The demo pushes cumulative totals over OTLP; the highest value over the range is the run's cost.
    const total = await value(`sum(max_over_time(agentrace_cost_total{${JOB}}[10m]))`);
    expect(total).toBeCloseTo(result.costs.total.costUsd, 10);
    expect(printed).toContain('What this run showed');
    expect(printed).toContain(`Metrics were exported to ${receiver?.url}/v1/metrics (http/protobuf).`);
  });
});
