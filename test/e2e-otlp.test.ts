/**
 * A real OTLP/HTTP round trip: the demo, configured only through `OTEL_EXPORTER_OTLP_ENDPOINT` as a user would,
 * exports to a receiver on loopback. The test decodes the JSON payloads the OTel JS exporter sent and checks the
 * span tree (workflow → agent → turn → attempt / tool), the GenAI semantic-convention attributes, the recovery
 * chain, the breaker events and the handoff links, against what the demo itself recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../examples/demo/run-demo.js';
import {
  type DecodedSpan,
  decodeAttributes,
  SPAN_KIND_CLIENT,
  SPAN_KIND_INTERNAL,
  STATUS_CODE_ERROR,
  spansOf,
  startOtlpReceiver,
} from './helpers/otlp.js';

type Span = DecodedSpan;

const KIND_INTERNAL = SPAN_KIND_INTERNAL;
const KIND_CLIENT = SPAN_KIND_CLIENT;
const STATUS_ERROR = STATUS_CODE_ERROR;
const attrs = decodeAttributes;

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let result: DemoResult;
let spans: Span[];
let printed = '';

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  result = await runDemo({
    seed: 11,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    prometheus: false,
    output: {
      write: (s: string) => {
        printed += s;
        return true;
      },
    },
  });
  spans = spansOf(receiver.requests);
}, 30_000);

afterAll(() => receiver.close());

const childrenOf = (parent: Span) => spans.filter((s) => s.parentSpanId === parent.spanId);
const one = (list: Span[], name: string): Span => {
  const found = list.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    name,
  ).toEqual([name]);
  return found[0] as Span;
};
const agentSpan = (role: string) => one(spans, `invoke_agent ${role}`);

describe('the demo over OTLP/HTTP', () => {
  it('exported every span of the run, nothing dropped, under the demo resource', () => {
    expect(result.traces.url).toMatch(/\/v1\/traces$/);
    expect(result.dropped).toEqual({ spans: 0, metricExports: 0, metricPoints: 0 });
    expect(result.highlights.filter((h) => !h.shown)).toEqual([]);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([result.rounds[0]?.traceId]));
    expect(spans[0]?.resource).toMatchObject({
      'service.name': 'agentrace-demo',
      'agentrace.demo.simulated': true,
      'agentrace.demo.seed': 11,
      'telemetry.sdk.language': 'nodejs',
    });
    // Exported, so no trace tree in the terminal; the cost table is printed by the demo instead.
    expect(printed).not.toContain('invoke_workflow research-report');
    expect(printed).toContain('Cost by agent and model');
  });

  it('nests workflow → agents → turns → attempts, with tools under their agent', () => {
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => s.name)).toEqual(['invoke_workflow research-report']);
    const workflow = roots[0] as Span;
    expect(workflow.attrs).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'research-report',
    });
    expect(
      childrenOf(workflow)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['invoke_agent editor', 'invoke_agent researcher', 'invoke_agent writer']);
    const researcher = agentSpan('researcher');
    expect(childrenOf(researcher).map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'chat gpt-4o',
        'execute_tool web_search',
        'execute_tool fetch_page',
        'execute_tool write_file',
      ]),
    );
    for (const turn of spans.filter(
      (s) => s.attrs['gen_ai.operation.name'] === 'chat' && s.kind === KIND_CLIENT,
    )) {
      const attempts = childrenOf(turn);
      expect(attempts.length, turn.name).toBeGreaterThanOrEqual(1);
      for (const a of attempts) expect(a.name).toMatch(/^attempt \d+ simulated\.(openai|anthropic)\//);
    }
    const turns = result.rounds[0]?.turns ?? [];
    expect(spans.filter((s) => s.kind === KIND_CLIENT).length).toBe(turns.length);
    expect(spans.filter((s) => s.name.startsWith('attempt ')).length).toBe(
      turns.reduce((n, t) => n + t.attempts.length, 0),
    );
  });

  it('carries the GenAI semantic-convention attributes on agents, turns and tools', () => {
    const researcher = agentSpan('researcher');
    expect(researcher.kind).toBe(KIND_INTERNAL);
    expect(researcher.attrs).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'researcher',
      'gen_ai.agent.description': 'Finds and reads sources on the topic',
      'agentrace.session.status': 'completed',
    });
    expect(researcher.attrs['gen_ai.agent.id']).toMatch(/^researcher-report-[0-9a-f]{8}$/);
    const [plan] = childrenOf(researcher).filter((s) => s.name === 'chat gpt-4o');
    const planReport = result.rounds[0]?.turns[0];
    expect(plan?.attrs).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'simulated.openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': planReport?.inputTokens,
      'gen_ai.usage.output_tokens': planReport?.outputTokens,
      'agentrace.turn.outcome': 'ok',
    });
    expect(plan?.attrs['gen_ai.response.id']).toMatch(/^chatcmpl-sim[0-9a-f]{8}$/);
    expect(plan?.attrs['agentrace.usage.cost']).toBeCloseTo(planReport?.costUsd ?? Number.NaN, 12);
    expect(plan?.attrs['agentrace.cost.source']).toMatch(/^dataset@/);
    const search = one(childrenOf(researcher), 'execute_tool web_search');
    expect(search.attrs).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'web_search',
      'gen_ai.tool.type': 'function',
      'agentrace.tool.outcome': 'ok',
    });
    // Message content is opt-in: none was recorded.
    for (const s of spans)
      expect(Object.keys(s.attrs).filter((k) => /messages|arguments|call\.result/.test(k))).toEqual([]);
  });

  it('records the permission denial and the guardrail block, and keeps the leaked key out of the trace', () => {
    const researcher = agentSpan('researcher');
    const denied = one(childrenOf(researcher), 'execute_tool write_file');
    expect(denied.status?.code).toBe(STATUS_ERROR);
    expect(denied.attrs).toMatchObject({
      'error.type': 'permission_denied',
      'agentrace.tool.outcome': 'denied',
    });
    expect(attrs(denied.events?.find((e) => e.name === 'agent.permission.denied')?.attributes)).toMatchObject(
      {
        'agentrace.permission.allowed': false,
        'agentrace.permission.active_mode': 'READ_ONLY',
        'agentrace.permission.required_mode': 'WORKSPACE_WRITE',
      },
    );
    const blocked = childrenOf(researcher).find((s) => s.attrs['agentrace.tool.outcome'] === 'blocked');
    expect(blocked?.attrs).toMatchObject({
      'gen_ai.tool.name': 'fetch_page',
      'error.type': 'guardrail_violated',
    });
    expect(
      attrs(blocked?.events?.find((e) => e.name === 'agent.guardrail.blocked')?.attributes),
    ).toMatchObject({
      'agentrace.guardrail.name': 'no_secrets',
      'agentrace.guardrail.stage': 'post',
    });
    const everything = JSON.stringify(receiver.requests.map((r) => r.body));
    expect(everything).not.toContain('sk-proj-SIMULATED');
  });

  it('shows the recovery chain: 429 with Retry-After → switch provider → timeout → backoff → success', () => {
    const researcher = agentSpan('researcher');
    const chain = childrenOf(researcher).find((s) => s.attrs['agentrace.turn.outcome'] === 'recovered');
    expect(chain?.attrs).toMatchObject({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.provider.name': 'simulated.anthropic',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'agentrace.turn.attempts': 3,
    });
    const attempts = childrenOf(chain as Span).sort(
      (a, b) => Number(a.attrs['agentrace.recovery.attempt']) - Number(b.attrs['agentrace.recovery.attempt']),
    );
    expect(attempts.map((a) => a.name)).toEqual([
      'attempt 1 simulated.openai/gpt-4o',
      'attempt 2 simulated.anthropic/claude-sonnet-4-5',
      'attempt 3 simulated.anthropic/claude-sonnet-4-5',
    ]);
    const [first, second, third] = attempts as [Span, Span, Span];
    expect(first.status?.code).toBe(STATUS_ERROR);
    expect(first.attrs).toMatchObject({
      'error.type': 'rate_limit',
      'agentrace.recovery.scenario': 'rate_limit',
      'agentrace.recovery.step': ['retry_with_backoff', 'switch_provider'],
      'agentrace.recovery.backoff_ms': 250,
    });
    expect(second.attrs).toMatchObject({
      'error.type': 'llm_timeout',
      'agentrace.recovery.step': ['retry_with_backoff'],
    });
    expect(second.attrs['agentrace.recovery.backoff_ms']).toBeLessThanOrEqual(40);
    expect(third.status?.code).not.toBe(STATUS_ERROR);
    expect(third.attrs['gen_ai.usage.output_tokens']).toBe(chain?.attrs['gen_ai.usage.output_tokens']);
    const switched = chain?.events?.find((e) => e.name === 'agent.recovery.provider_switched');
    expect(attrs(switched?.attributes)).toMatchObject({
      'agentrace.recovery.from_provider': 'simulated.openai',
      'gen_ai.provider.name': 'simulated.anthropic',
      'agentrace.recovery.reason': 'rate_limit',
    });
    // Each recovered step matches the attempt chain the demo got back from runTurn.
    const reported = result.rounds[0]?.turns.find((t) => t.agent === 'researcher' && t.attempts.length === 3);
    expect(attempts.map((a) => a.attrs['error.type'] ?? 'ok')).toEqual(
      reported?.attempts.map((a) => a.errorType ?? 'ok'),
    );
  });

  it('shows the breaker opening on a 503, the next turn skipping the open circuit, and the probe closing it', () => {
    const writer = agentSpan('writer');
    const writerEvents = [
      ...(writer.events ?? []),
      ...spans.filter((s) => s.parentSpanId === writer.spanId).flatMap((s) => s.events ?? []),
    ];
    const opened = writerEvents.find((e) => e.name === 'agent.circuit.opened');
    expect(attrs(opened?.attributes)).toMatchObject({
      'agentrace.circuit_breaker.name': 'simulated.openai',
      'agentrace.circuit_breaker.from_state': 'closed',
      'agentrace.circuit_breaker.state': 'open',
    });
    const skipped = childrenOf(writer)
      .flatMap((s) => s.events ?? [])
      .find(
        (e) =>
          e.name === 'agent.recovery.provider_switched' &&
          attrs(e.attributes)['agentrace.recovery.reason'] === 'circuit_open',
      );
    expect(attrs(skipped?.attributes)).toMatchObject({ 'error.type': 'circuit_open' });
    const editor = agentSpan('editor');
    const editorEvents = [editor, ...childrenOf(editor)].flatMap((s) => s.events ?? []).map((e) => e.name);
    expect(editorEvents).toEqual(
      expect.arrayContaining(['agent.circuit.half_opened', 'agent.circuit.closed']),
    );
    const budget = [writer, ...childrenOf(writer)]
      .flatMap((s) => s.events ?? [])
      .find((e) => e.name === 'agent.budget.exceeded');
    expect(attrs(budget?.attributes)).toMatchObject({
      'agentrace.budget.usd': 0.025,
      'agentrace.budget.enforced': false,
    });
  });

  it('links each agent to the one that handed off to it', () => {
    const researcher = agentSpan('researcher');
    const writer = agentSpan('writer');
    const editor = agentSpan('editor');
    expect(writer.links).toEqual([
      expect.objectContaining({ traceId: researcher.traceId, spanId: researcher.spanId }),
    ]);
    expect(attrs(writer.links?.[0]?.attributes)).toEqual({ 'agentrace.link.type': 'handoff' });
    expect(editor.links?.map((l) => l.spanId)).toEqual([writer.spanId]);
    expect(attrs(researcher.events?.find((e) => e.name === 'agent.handoff')?.attributes)).toMatchObject({
      'agentrace.handoff.source_agent': 'researcher',
      'agentrace.handoff.target_agent': 'writer',
      'agentrace.handoff.reason': 'findings ready',
    });
  });

  it('sent metrics over OTLP too, with the cost the demo printed', () => {
    const metrics = receiver.requests.filter((b) => b.path === '/v1/metrics');
    expect(metrics.length).toBeGreaterThanOrEqual(1);
    const last = metrics.at(-1)?.body as {
      resourceMetrics: Array<{
        scopeMetrics: Array<{
          scope: { name: string };
          metrics: Array<{ name: string; sum?: { dataPoints: Array<{ asDouble?: number }> } }>;
        }>;
      }>;
    };
    const cost = last.resourceMetrics
      .flatMap((rm) => rm.scopeMetrics)
      .filter((sm) => sm.scope.name === '@agentrace/core')
      .flatMap((sm) => sm.metrics)
      .find((m) => m.name === 'agentrace.cost');
    const total = (cost?.sum?.dataPoints ?? []).reduce((s, p) => s + (p.asDouble ?? 0), 0);
    expect(total).toBeCloseTo(result.costs.total.costUsd, 10);
  });
});
