import {
  AgentEventName,
  AgentSession,
  CircuitBreaker,
  defineGuardrail,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
  semconv as sc,
  UsageSnapshot,
} from '@agentrace/core';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import { createStyle } from './terminal-style.js';
import { describeEvent, renderTraceTree } from './trace-tree.js';

const plain = createStyle(false);

function sdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracerProvider, tracer: tracerProvider.getTracer('test') };
}

/** Durations and ids vary run to run; the tree's shape and figures do not. */
function normalize(text: string): string {
  return text
    .replace(/\b\d+(\.\d+)?(ms|s)\b/g, 'T')
    .replace(/trace [0-9a-f]{32}/g, 'trace ID')
    .replace(/\b[0-9a-f]{16}\b/g, 'SPAN');
}

describe('renderTraceTree with spans from a real session', () => {
  it('shows agent → turns → tools with status, tokens, cost, and the events that explain the run', async () => {
    const { exporter, tracerProvider } = sdk();
    const permissions = new PermissionEnforcer(
      new PermissionPolicy({
        roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY } },
        toolRequirements: { delete_file: PermissionMode.FULL_ACCESS },
      }),
    );
    const agent = new AgentSession({
      role: 'researcher',
      phase: 'research',
      provider: 'openai',
      model: 'gpt-test',
      tracerProvider,
      permissions,
      guardrails: [
        defineGuardrail({
          name: 'no_secrets',
          post: (v) =>
            String(v).includes('secret') ? { allowed: false, reason: 'output holds a secret' } : true,
        }),
      ],
      circuitBreaker: new CircuitBreaker({ name: 'llm', failureThreshold: 1, recoveryTimeoutMs: 60_000 }),
    });
    await agent.run(async (s) => {
      await s.runTurn(async () => 'plan', {
        usage: new UsageSnapshot({ inputTokens: 1000, outputTokens: 250, cacheReadTokens: 200 }),
      });
      await s.runTool('web_search', async () => 'results');
      await s.runTool('delete_file', async () => 'gone').catch(() => undefined);
      await s.runTool('read_vault', async () => 'a secret').catch(() => undefined);
      await s
        .runTurn(async () => {
          throw Object.assign(new Error('429 too many requests'), { status: 429 });
        })
        .catch(() => undefined);
      s.handoffTo('writer', 'research done');
    });

    const text = normalize(renderTraceTree(exporter.getFinishedSpans(), { style: plain }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'invoke_agent researcher  ✓ completed  T  in 1,200 · out 250 (cache read 200) tok  $0.0000  trace ID',
    );
    expect(lines).toContain(
      '├─ chat gpt-test (openai)  ✓  T  in 1,200 · out 250 (cache read 200) tok  $0.0000',
    );
    expect(lines).toContain('├─ execute_tool web_search  ✓  T');
    expect(lines).toContain('├─ execute_tool delete_file  ✗ denied (permission_denied)  T');
    expect(text).toMatch(/│ {2}└─ ⛔ permission denied: .*READ_ONLY.*FULL_ACCESS/);
    expect(lines).toContain('├─ execute_tool read_vault  ✗ blocked (guardrail_violated)  T');
    expect(lines).toContain('│  └─ ⛔ guardrail no_secrets blocked (post): output holds a secret');
    expect(text).toContain('├─ chat gpt-test (openai)  ✗ rate_limit  T  "429 too many requests"');
    expect(text).toMatch(/↻ recovery \w+: rate_limit · attempt 1/);
    expect(text).toContain('⚡ circuit llm: closed → open');
    expect(lines.at(-1)).toBe('└─ → handoff to writer: research done');
    // Spans come in start order: the tree reads like the run.
    const order = ['web_search', 'delete_file', 'read_vault', '✗ rate_limit'].map((s) => text.indexOf(s));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('names the source of a handoff on the target agent, from a span printed earlier', async () => {
    const { exporter, tracerProvider } = sdk();
    const researcher = new AgentSession({ role: 'researcher', phase: 'p', tracerProvider });
    const handoff = await researcher.run(async (s) => s.handoffTo('writer', 'go'));
    await new AgentSession({ role: 'writer', phase: 'p', tracerProvider }).run(async () => 'ok', { handoff });
    const [source, target] = exporter.getFinishedSpans();
    const names = new Map([[source!.spanContext().spanId, source!.name]]);
    const text = renderTraceTree([target!], { style: plain, spanName: (id) => names.get(id) });
    expect(text).toContain(`└─ ↪ handed off from invoke_agent researcher ${source!.spanContext().spanId}`);
    // An agent that made no model call shows no token or cost figures.
    expect(text.split('\n')[0]).not.toContain('tok');
    expect(renderTraceTree([target!], { style: plain })).toContain('↪ handed off from span ');
  });
});

describe('renderTraceTree with hand-made spans', () => {
  it('shows attempt spans (number, step, backoff), cancelled and failed agents, and foreign spans', () => {
    const { exporter, tracer } = sdk();
    const root = tracer.startSpan('invoke_agent editor', {
      attributes: {
        [sc.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
        [sc.ATTR_AGENTRACE_SESSION_STATUS]: 'failed',
      },
    });
    root.setAttribute(ATTR_ERROR_TYPE, 'llm_error');
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const turn = tracer.startSpan(
      'chat gpt',
      {
        attributes: {
          [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
          [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: 3,
          [sc.ATTR_AGENTRACE_TURN_OUTCOME]: 'recovered',
        },
      },
      ctx,
    );
    const turnCtx = trace.setSpan(ROOT_CONTEXT, turn);
    const attempt = tracer.startSpan(
      'attempt 2 openai/gpt',
      {
        attributes: {
          [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
          [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: 2,
          [sc.ATTR_AGENTRACE_RECOVERY_STEP]: ['retry_with_backoff', 'switch_provider'],
          [sc.ATTR_AGENTRACE_RECOVERY_SKIPPED_STEPS]: ['clear_memory_cache'],
          [sc.ATTR_AGENTRACE_RECOVERY_BACKOFF_MS]: 1500,
        },
      },
      turnCtx,
    );
    attempt.end();
    const other = tracer.startSpan(
      'retry',
      { attributes: { [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: 4 } },
      turnCtx,
    );
    other.end();
    turn.end();
    const escalated = tracer.startSpan(
      'chat gpt',
      { attributes: { [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: 1, [sc.ATTR_AGENTRACE_TURN_OUTCOME]: 'escalated' } },
      ctx,
    );
    escalated.end();
    const plainTurn = tracer.startSpan(
      'chat plain',
      { attributes: { [sc.ATTR_AGENTRACE_TURN_ATTEMPTS]: 1, [sc.ATTR_AGENTRACE_TURN_OUTCOME]: 'ok' } },
      ctx,
    );
    plainTurn.end();
    const cancelled = tracer.startSpan(
      'chat m',
      { attributes: { [sc.ATTR_AGENTRACE_CANCELLED]: true } },
      ctx,
    );
    cancelled.end();
    const http = tracer.startSpan('GET /search', {}, ctx);
    http.setStatus({ code: SpanStatusCode.ERROR, message: 'boom\n  with detail' });
    http.end();
    const ok = tracer.startSpan('POST /ok', {}, ctx);
    ok.end();
    root.end();
    const text = normalize(renderTraceTree(exporter.getFinishedSpans(), { style: plain }));
    expect(text).toContain('invoke_agent editor  ✗ failed (llm_error)  T');
    expect(text).toContain('├─ chat gpt  ✓  T  ↻ recovered after 3 attempts');
    expect(text).toContain(
      '│  ├─ attempt 2 openai/gpt  T  → retry_with_backoff, switch_provider  (skipped clear_memory_cache)  backoff T',
    );
    expect(text).toContain('│  └─ retry  T  attempt 4');
    expect(text).toContain('├─ chat gpt  T  escalated after 1 attempt');
    expect(text).toMatch(/├─ chat plain {2}T\n/);
    expect(text).toContain('├─ chat m  ⊘ cancelled  T');
    expect(text).toContain('├─ GET /search  ✗ error  T  "boom with detail"');
    expect(text).toContain('└─ POST /ok  T');
    const cancelledAgent = tracer.startSpan('invoke_agent x', {
      attributes: { [sc.ATTR_AGENTRACE_SESSION_STATUS]: 'cancelled' },
    });
    cancelledAgent.end();
    expect(renderTraceTree([exporter.getFinishedSpans().at(-1)!], { style: plain })).toContain('⊘ cancelled');
  });

  it('elides the middle of a long list of children, keeping the start and the end', () => {
    const { exporter, tracer } = sdk();
    const root = tracer.startSpan('root');
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    for (let i = 0; i < 30; i++) tracer.startSpan(`child ${i}`, {}, ctx).end();
    root.end();
    const text = renderTraceTree(exporter.getFinishedSpans(), { style: plain, maxChildren: 15 });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 15);
    expect(lines[1]).toMatch(/^├─ child 0 /);
    expect(lines[5]).toBe('├─ … 16 more …');
    expect(lines.at(-1)).toMatch(/^└─ child 29 /);
  });

  it('marks incomplete traces and renders nothing for no spans', () => {
    const { exporter, tracer } = sdk();
    tracer.startSpan('orphan').end();
    expect(renderTraceTree(exporter.getFinishedSpans(), { style: plain, incomplete: true })).toMatch(
      /^\(trace incomplete: its root span had not ended at shutdown\)\norphan /,
    );
    expect(renderTraceTree([], { style: plain, incomplete: true })).toBe('');
  });

  it('colours only when asked', () => {
    const { exporter, tracer } = sdk();
    tracer.startSpan('s', { attributes: { [sc.ATTR_AGENTRACE_SESSION_STATUS]: 'completed' } }).end();
    const spans = exporter.getFinishedSpans();
    expect(renderTraceTree(spans, { style: createStyle(true) })).toContain('\u001b[32m✓ completed\u001b[39m');
    expect(renderTraceTree(spans, { style: plain })).not.toContain('\u001b[');
  });
});

describe('describeEvent', () => {
  const ev = (name: string, attributes: Record<string, unknown> = {}) =>
    describeEvent({ name, time: [0, 0], attributes: attributes as never, droppedAttributesCount: 0 }, plain);

  it('describes recovery, breaker, budget, handoff, permission, guardrail, evaluation and input events', () => {
    expect(
      ev(AgentEventName.RECOVERY_ESCALATED, {
        [sc.ATTR_AGENTRACE_RECOVERY_EVENT_TYPE]: 'escalated',
        [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: 'provider_failure',
        [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: 3,
        [sc.ATTR_AGENTRACE_RECOVERY_REASON]: 'max attempts (2) exceeded',
        [sc.ATTR_AGENTRACE_RECOVERY_ESCALATION_POLICY]: 'abort',
      }),
    ).toBe('↻ recovery escalated: provider_failure · attempt 3 · policy abort · max attempts (2) exceeded');
    expect(ev(AgentEventName.RECOVERY_ATTEMPTED)).toBe('↻ recovery attempted: unknown');
    expect(
      ev(AgentEventName.RECOVERY_SUCCEEDED, {
        [sc.ATTR_AGENTRACE_RECOVERY_SCENARIO]: 'llm_error',
        [sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT]: 0,
      }),
    ).toBe('↻ recovery succeeded: llm_error');
    expect(
      ev(AgentEventName.RECOVERY_PROVIDER_SWITCHED, { [sc.ATTR_AGENT_DETAIL]: 'openai -> anthropic' }),
    ).toBe('↻ provider switched: openai -> anthropic');
    expect(
      ev(AgentEventName.RECOVERY_PROVIDER_SWITCHED, {
        [sc.ATTR_AGENTRACE_RECOVERY_FROM_PROVIDER]: 'openai',
        [sc.ATTR_AGENTRACE_RECOVERY_FROM_MODEL]: 'gpt-4o',
        [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
        [sc.ATTR_GEN_AI_REQUEST_MODEL]: 'claude',
        [sc.ATTR_AGENTRACE_RECOVERY_REASON]: 'llm_error',
      }),
    ).toBe('↻ provider switched: openai/gpt-4o → anthropic/claude (llm_error)');
    expect(
      ev(AgentEventName.RECOVERY_PROVIDER_SWITCHED, {
        [sc.ATTR_AGENTRACE_RECOVERY_FROM_PROVIDER]: 'openai',
        [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      }),
    ).toBe('↻ provider switched: openai → anthropic');
    expect(ev(AgentEventName.RECOVERY_PROVIDER_SWITCHED)).toBe('↻ provider switched');
    expect(
      ev(AgentEventName.CIRCUIT_HALF_OPENED, {
        [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME]: 'llm',
        [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM]: 'open',
        [sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE]: 'half_open',
      }),
    ).toBe('⚡ circuit llm: open → half_open');
    expect(ev(AgentEventName.CIRCUIT_CLOSED)).toBe('⚡ circuit : ? → closed');
    expect(
      ev(AgentEventName.BUDGET_EXCEEDED, {
        [sc.ATTR_AGENTRACE_BUDGET_SPENT_USD]: 0.0123,
        [sc.ATTR_AGENTRACE_BUDGET_USD]: 0.01,
        [sc.ATTR_AGENTRACE_BUDGET_ENFORCED]: true,
      }),
    ).toBe('$ budget exceeded: spent $0.0123 of $0.0100 (enforced)');
    expect(ev(AgentEventName.BUDGET_EXCEEDED)).toBe('$ budget exceeded: spent ? of ? (warning)');
    expect(ev(AgentEventName.AGENT_HANDOFF)).toBe('→ handoff to ?');
    expect(
      ev(AgentEventName.PERMISSION_DENIED, {
        [sc.ATTR_AGENTRACE_PERMISSION_ACTIVE_MODE]: 'READ_ONLY',
        [sc.ATTR_AGENTRACE_PERMISSION_REQUIRED_MODE]: 'FULL_ACCESS',
      }),
    ).toBe('⛔ permission denied: READ_ONLY, needs FULL_ACCESS');
    expect(ev(AgentEventName.PERMISSION_DENIED)).toBe('⛔ permission denied');
    expect(ev(AgentEventName.GUARDRAIL_BLOCKED)).toBe('⛔ guardrail ? blocked (?)');
    expect(
      ev(sc.EVENT_GEN_AI_EVALUATION_RESULT, {
        [sc.ATTR_GEN_AI_EVALUATION_NAME]: 'quality_gate',
        [sc.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]: 'fail',
        [sc.ATTR_GEN_AI_EVALUATION_EXPLANATION]: 'required=strict observed=standard',
      }),
    ).toBe('◆ evaluation quality_gate: fail (required=strict observed=standard)');
    expect(ev(sc.EVENT_GEN_AI_EVALUATION_RESULT)).toBe('◆ evaluation : ?');
    expect(ev(AgentEventName.AGENT_WAITING_FOR_INPUT)).toBe('… waiting for input');
  });

  it('leaves lifecycle noise and exceptions out', () => {
    expect(ev('exception')).toBeUndefined();
    expect(ev(AgentEventName.AGENT_STARTED)).toBeUndefined();
  });
});
