import { PriceTable } from '@agentrace/pricing';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { defineGuardrail } from '../governance/guardrails.js';
import { PermissionEnforcer, PermissionMode, PermissionPolicy } from '../governance/permissions.js';
import { QualityGate, QualityLevel } from '../governance/quality-gate.js';
import { AgentRegistry } from '../lifecycle/agent-registry.js';
import { AgentSession } from '../session/agent-session.js';
import type { AgentSessionOptions } from '../session/session-config.js';
import { GEN_AI_DURATION_BUCKETS, GEN_AI_TOKEN_USAGE_BUCKETS } from './semconv.js';

let otel: TestTelemetry;

function prices(): PriceTable {
  const table = new PriceTable();
  table.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  table.register('claude-sonnet-4-5', {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cacheReadPerMillion: 0.3,
    cacheWritePerMillion: 3.75,
  });
  return table;
}

function agent(opts: Partial<AgentSessionOptions> = {}): AgentSession {
  return new AgentSession({
    role: 'researcher',
    phase: 'research',
    pricing: prices(),
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

beforeEach(() => {
  otel = createTestTelemetry();
});

afterEach(async () => {
  await otel.shutdown();
});

describe('spans', () => {
  it('one INTERNAL invoke_agent span per session, a CLIENT model-call span per turn under it', async () => {
    await agent({ projectId: 7, conversationId: 'conv-1', description: 'finds sources' }).run(async (s) => {
      await s.runTurn(() => 'a', {
        model: 'gpt-4o',
        provider: 'openai',
        usage: { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 200 },
        attributes: { 'gen_ai.request.max_tokens': 256 },
      });
      await s.runTurn(() => 'b', {
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        operation: 'text_completion',
      });
    });
    const root = otel.span('invoke_agent researcher');
    expect(root.kind).toBe(SpanKind.INTERNAL);
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'researcher',
      'gen_ai.conversation.id': 'conv-1',
      'gen_ai.agent.description': 'finds sources',
      'agentrace.phase': 'research',
      'agentrace.project.id': 7,
      'agentrace.session.status': 'completed',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 500,
    });
    expect(root.attributes['gen_ai.agent.id']).toMatch(/^researcher-research-[0-9a-f]{8}$/);

    const chat = otel.span('chat gpt-4o');
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(chat.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 256,
      // the conventions' accounting: input includes cache reads and writes; cache counts beside it
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'agentrace.usage.plain_input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'agentrace.cost.source': 'user',
      'agentrace.turn.number': 1,
    });
    expect(chat.attributes['agentrace.usage.cost']).toBeCloseTo(
      (1000 * 2.5 + 500 * 10 + 200 * 1.25) / 1e6,
      12,
    );
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    expect(otel.span('text_completion claude-sonnet-4-5').attributes['gen_ai.operation.name']).toBe(
      'text_completion',
    );
    expect(otel.spans()).toHaveLength(3);
  });

  it('a span created inside the turn function is a child of the turn span', async () => {
    const tracer = otel.tracerProvider.getTracer('user-code');
    await agent().run(async (s) => {
      await s.runTurn(
        async () => {
          await Promise.resolve();
          tracer.startActiveSpan('POST /v1/chat/completions', (span) => span.end());
        },
        { model: 'gpt-4o' },
      );
      tracer.startActiveSpan('user step in body', (span) => span.end());
    });
    const http = otel.span('POST /v1/chat/completions');
    expect(http.parentSpanContext?.spanId).toBe(otel.span('chat gpt-4o').spanContext().spanId);
    expect(otel.span('user step in body').parentSpanContext?.spanId).toBe(
      otel.span('invoke_agent researcher').spanContext().spanId,
    );
  });

  it('a failed turn gets error.type, ERROR status and a masked exception event', async () => {
    const err = Object.assign(new Error('429 rate limited for key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx'), {
      status: 429,
    });
    await agent()
      .run(async (s) => {
        await s.runTurn(() => Promise.reject(err), { model: 'gpt-4o', provider: 'openai' });
      })
      .catch(() => undefined);
    const chat = otel.span('chat gpt-4o');
    expect(chat.attributes['error.type']).toBe('rate_limit');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.status.message).not.toContain('sk-proj');
    const exception = chat.events.find((e) => e.name === 'exception')!;
    expect(exception.attributes?.['exception.message']).toBe('429 rate limited for key [REDACTED]');
    expect(String(exception.attributes?.['exception.stacktrace'])).not.toContain('sk-proj');
    const recovery = chat.events.find((e) => e.name === 'agent.recovery.succeeded')!;
    expect(recovery.attributes).toMatchObject({
      'agentrace.recovery.scenario': 'rate_limit',
      'agentrace.recovery.event_type': 'succeeded',
      'agent.role': 'researcher',
    });
    const root = otel.span('invoke_agent researcher');
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.attributes['error.type']).toBe('rate_limit');
    expect(root.attributes['agentrace.session.status']).toBe('failed');
  });

  it('cancellation is not an error', async () => {
    const controller = new AbortController();
    const run = agent().run(
      (s) =>
        s.runTurn(
          (signal) =>
            new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
          {
            model: 'gpt-4o',
          },
        ),
      { signal: controller.signal },
    );
    queueMicrotask(() => controller.abort(new Error('stop')));
    await expect(run).rejects.toThrow('stop');
    const chat = otel.span('chat gpt-4o');
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    expect(chat.attributes['agentrace.cancelled']).toBe(true);
    expect(chat.attributes['error.type']).toBeUndefined();
    const root = otel.span('invoke_agent researcher');
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    expect(root.attributes['agentrace.session.status']).toBe('cancelled');
  });

  it('execute_tool spans: under the turn when called inside it, else under the agent; denial and guardrail blocks', async () => {
    const permissions = new PermissionEnforcer(
      new PermissionPolicy({
        roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY } },
        toolRequirements: { write_file: PermissionMode.WORKSPACE_WRITE },
      }),
    );
    const guardrails = [
      defineGuardrail({
        name: 'no-shell',
        pre: ({ tool }) => tool !== 'shell' || { allowed: false, reason: 'no shell' },
      }),
    ];
    await agent({ permissions, guardrails }).run(async (s) => {
      await s.runTurn(() => s.runTool('search', () => ['doc'], { callId: 'call_1' }), { model: 'gpt-4o' });
      await s.runTool('fetch', () => 'page');
      await s.runTool('write_file', () => 'no').catch(() => undefined);
      await s.runTool('shell', () => 'no').catch(() => undefined);
    });
    const root = otel.span('invoke_agent researcher');
    const search = otel.span('execute_tool search');
    expect(search.kind).toBe(SpanKind.INTERNAL);
    expect(search.parentSpanContext?.spanId).toBe(otel.span('chat gpt-4o').spanContext().spanId);
    expect(search.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.type': 'function',
      'agentrace.tool.outcome': 'ok',
    });
    expect(otel.span('execute_tool fetch').parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const denied = otel.span('execute_tool write_file');
    expect(denied.attributes).toMatchObject({
      'agentrace.tool.outcome': 'denied',
      'error.type': 'permission_denied',
    });
    expect(denied.status.code).toBe(SpanStatusCode.ERROR);
    expect(denied.events.find((e) => e.name === 'agent.permission.denied')?.attributes).toMatchObject({
      'agentrace.permission.allowed': false,
      'agentrace.permission.required_mode': 'WORKSPACE_WRITE',
    });
    const blocked = otel.span('execute_tool shell');
    expect(blocked.attributes).toMatchObject({
      'agentrace.tool.outcome': 'blocked',
      'error.type': 'guardrail_violated',
    });
    expect(blocked.events.find((e) => e.name === 'agent.guardrail.blocked')?.attributes).toMatchObject({
      'agentrace.guardrail.name': 'no-shell',
      'agentrace.guardrail.stage': 'pre',
      'agentrace.guardrail.reason': 'no shell',
    });
  });

  it('span events: lifecycle transitions, quality gate as gen_ai.evaluation.result, budget, breaker transitions', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({
      name: 'openai',
      failureThreshold: 1,
      recoveryTimeoutMs: 10,
      clock: () => now,
    });
    await agent({
      qualityGate: new QualityGate(QualityLevel.STANDARD),
      budgetUsd: 0.001,
      circuitBreaker: breaker,
    }).run(async (s) => {
      await s
        .runTurn(() => Promise.reject(new Error('503 Service Unavailable')), { model: 'gpt-4o' })
        .catch(() => undefined);
      now = 10;
      await s.runTurn(() => 'ok', { model: 'gpt-4o', usage: { outputTokens: 1000 } });
      s.evaluateGate(QualityLevel.STRICT);
    });
    const root = otel.span('invoke_agent researcher');
    const names = root.events.map((e) => e.name);
    expect(names.filter((n) => n === 'agentrace.lifecycle.transition')).toHaveLength(3);
    expect(
      root.events
        .filter((e) => e.name === 'agentrace.lifecycle.transition')
        .map((e) => [e.attributes?.['agentrace.lifecycle.from'], e.attributes?.['agentrace.lifecycle.to']]),
    ).toEqual([
      ['idle', 'initializing'],
      ['initializing', 'running'],
      ['running', 'completed'],
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        'agent.started',
        'agent.circuit.opened',
        'agent.circuit.half_opened',
        'agent.circuit.closed',
      ]),
    );
    expect(names).toContain('agent.budget.exceeded');
    const opened = root.events.find((e) => e.name === 'agent.circuit.opened')!;
    expect(opened.attributes).toMatchObject({
      'agentrace.circuit_breaker.name': 'openai',
      'agentrace.circuit_breaker.from_state': 'closed',
      'agentrace.circuit_breaker.state': 'open',
    });
    const evaluation = root.events.find((e) => e.name === 'gen_ai.evaluation.result')!;
    expect(evaluation.attributes).toMatchObject({
      'gen_ai.evaluation.name': 'quality_gate',
      'gen_ai.evaluation.score.value': QualityLevel.STRICT,
      'gen_ai.evaluation.score.label': 'pass',
    });
    expect(names).toContain('phase.gate_passed');
    const budgetTurn = otel.spans().filter((sp) => sp.name === 'chat gpt-4o')[1]!;
    expect(budgetTurn.attributes).toMatchObject({
      'agentrace.budget.usd': 0.001,
      'agentrace.budget.enforced': false,
    });
    expect(budgetTurn.events.map((e) => e.name)).toContain('agent.budget.exceeded');
    expect(root.events.find((e) => e.name === 'agent.completed')?.attributes).toMatchObject({
      'agent.event': 'agent.completed',
      'gen_ai.agent.name': 'researcher',
    });
  });

  it('a handoff finalizes the source and links the target agent span to the source span', async () => {
    const registry = new AgentRegistry();
    const handoff = await agent({ registry }).run((s) =>
      s.handoffTo('writer', 'sources collected', { n: 3 }),
    );
    await agent({ registry, role: 'writer', phase: 'research' }).run(
      async (s) => {
        await s.runTurn(() => 'draft', { model: 'gpt-4o' });
      },
      { handoff },
    );
    const source = otel.span('invoke_agent researcher');
    const target = otel.span('invoke_agent writer');
    expect(source.events.find((e) => e.name === 'agent.handoff')?.attributes).toMatchObject({
      'agentrace.handoff.source_agent': 'researcher',
      'agentrace.handoff.target_agent': 'writer',
      'agentrace.handoff.reason': 'sources collected',
      'agentrace.handoff.target_worker_id': handoff.targetWorkerId,
    });
    expect(source.attributes['agentrace.session.status']).toBe('completed');
    expect(target.links).toHaveLength(1);
    expect(target.links[0]!.context.spanId).toBe(source.spanContext().spanId);
    expect(target.links[0]!.attributes).toEqual({ 'agentrace.link.type': 'handoff' });
    expect(target.attributes['gen_ai.agent.id']).toBe(handoff.targetWorkerId);
  });
});

describe('metrics', () => {
  it('token usage and duration histograms with semconv attributes and bucket boundaries; cost counter', async () => {
    await agent().run(async (s) => {
      await s.runTurn(() => 1, {
        model: 'gpt-4o',
        provider: 'openai',
        usage: { inputTokens: 100, outputTokens: 40, cacheReadTokens: 20 },
      });
      await s.runTurn(() => 1, {
        model: 'gpt-4o',
        provider: 'openai',
        usage: { inputTokens: 300, outputTokens: 60 },
      });
      await s
        .runTurn(() => Promise.reject(new Error('request timed out')), {
          model: 'gpt-4o',
          provider: 'openai',
        })
        .catch(() => undefined);
    });
    const tokens = (await otel.metric<Histogram>('gen_ai.client.token.usage'))!;
    expect(tokens.unit).toBe('{token}');
    const input = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
    const output = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'output')!;
    expect(input.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.agent.name': 'researcher',
      'gen_ai.token.type': 'input',
    });
    expect(input.value.sum).toBe(420);
    expect(input.value.count).toBe(2);
    expect(output.value.sum).toBe(100);
    expect(input.value.buckets.boundaries).toEqual(GEN_AI_TOKEN_USAGE_BUCKETS);

    const duration = (await otel.metric<Histogram>('gen_ai.client.operation.duration'))!;
    expect(duration.unit).toBe('s');
    const ok = duration.points.find((p) => p.attributes['error.type'] === undefined)!;
    const failed = duration.points.find((p) => p.attributes['error.type'] === 'llm_timeout')!;
    expect(ok.value.count).toBe(2);
    expect(failed.value.count).toBe(1);
    expect(ok.value.buckets.boundaries).toEqual(GEN_AI_DURATION_BUCKETS);

    const cost = (await otel.metric('agentrace.cost'))!;
    expect(cost.unit).toBe('{USD}');
    expect(cost.points).toHaveLength(1);
    expect(cost.points[0]!.value).toBeCloseTo((400 * 2.5 + 100 * 10 + 20 * 1.25) / 1e6, 12);
  });

  it('sessions by status, tool calls by outcome, recovery attempts, breaker state and transitions', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({
      name: 'anthropic',
      failureThreshold: 1,
      recoveryTimeoutMs: 5,
      clock: () => now,
    });
    const permissions = new PermissionEnforcer(
      new PermissionPolicy({
        roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY, deniedTools: ['rm'] } },
      }),
    );
    const a = agent({ circuitBreaker: breaker, permissions });
    await a.run(async (s) => {
      await s.runTool('search', () => 1);
      await s.runTool('search', () => 2);
      await s.runTool('rm', () => 3).catch(() => undefined);
      await s.runTool('fetch', () => Promise.reject(new Error('404'))).catch(() => undefined);
      await s
        .runTurn(() => Promise.reject(new Error('connection refused')), { model: 'gpt-4o' })
        .catch(() => undefined);
    });
    await a.run(() => Promise.reject(new Error('tool crashed: failed'))).catch(() => undefined);
    await a.run((s) => s.cancel());

    const sessions = (await otel.metric('agentrace.sessions'))!;
    const byStatus = Object.fromEntries(
      sessions.points.map((p) => [p.attributes['agentrace.session.status'], p.value]),
    );
    expect(byStatus).toEqual({ completed: 1, failed: 1, cancelled: 1 });

    const tools = (await otel.metric('agentrace.tool.calls'))!;
    const byTool = Object.fromEntries(
      tools.points.map((p) => [
        `${p.attributes['gen_ai.tool.name']}:${p.attributes['agentrace.tool.outcome']}`,
        p.value,
      ]),
    );
    expect(byTool).toEqual({ 'search:ok': 2, 'rm:denied': 1, 'fetch:error': 1 });

    const recovery = (await otel.metric('agentrace.recovery.attempts'))!;
    expect(recovery.points).toEqual([
      {
        attributes: {
          'gen_ai.agent.name': 'researcher',
          'agentrace.recovery.scenario': 'provider_failure',
          'agentrace.recovery.outcome': 'succeeded',
          'agentrace.recovery.step': 'switch_provider+retry_with_backoff',
        },
        value: 1,
      },
    ]);

    const state = (await otel.metric('agentrace.circuit_breaker.state'))!;
    expect(
      state.points.find((p) => p.attributes['agentrace.circuit_breaker.name'] === 'anthropic')?.value,
    ).toBe(2);
    now = 5;
    const later = (await otel.metric('agentrace.circuit_breaker.state'))!;
    expect(
      later.points.find((p) => p.attributes['agentrace.circuit_breaker.name'] === 'anthropic')?.value,
    ).toBe(1);
    const transitions = (await otel.metric('agentrace.circuit_breaker.transitions'))!;
    expect(
      transitions.points.map((p) => [
        p.attributes['agentrace.circuit_breaker.from_state'],
        p.attributes['agentrace.circuit_breaker.state'],
        p.value,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['closed', 'open', 1],
        ['open', 'half_open', 1],
      ]),
    );
  });

  it('metric attributes are bounded: no ids, messages or free text', async () => {
    await agent({ projectId: 99, conversationId: 'conv-xyz' }).run(async (s) => {
      await s
        .runTurn(() => Promise.reject(new Error('unique message 123')), { model: 'gpt-4o' })
        .catch(() => undefined);
      await s.runTurn(() => 1, { model: 'gpt-4o', usage: { inputTokens: 1 } });
      await s.runTool('search', () => 1, { callId: 'call_abc' });
    });
    const rm = await otel.collect();
    const allowed = new Set([
      'gen_ai.operation.name',
      'gen_ai.provider.name',
      'gen_ai.request.model',
      'gen_ai.response.model',
      'gen_ai.agent.name',
      'gen_ai.token.type',
      'gen_ai.tool.name',
      'error.type',
      'agentrace.tool.outcome',
      'agentrace.session.status',
      'agentrace.recovery.scenario',
      'agentrace.recovery.outcome',
      'agentrace.recovery.step',
      'agentrace.circuit_breaker.name',
      'agentrace.circuit_breaker.from_state',
      'agentrace.circuit_breaker.state',
    ]);
    let seen = 0;
    for (const scope of rm.scopeMetrics) {
      for (const m of scope.metrics) {
        for (const p of m.dataPoints) {
          for (const [k, v] of Object.entries(p.attributes)) {
            seen++;
            expect(allowed.has(k), `${m.descriptor.name}: ${k}`).toBe(true);
            expect(String(v)).not.toMatch(/unique message|call_abc|conv-xyz|researcher-research-/);
          }
        }
      }
    }
    expect(seen).toBeGreaterThan(10);
  });
});

describe('content, masking and limits', () => {
  const input = [{ role: 'user', content: 'what is my password hunter2?' }];

  it('records no message content by default', async () => {
    await agent().run(async (s) => {
      await s.runTurn(() => ({ answer: 'secret answer' }), { model: 'gpt-4o', input });
      await s.runTool('lookup', () => 'tool result text', { args: { q: 'arg text' } });
    });
    const dump = JSON.stringify(otel.spans().map((s) => [s.attributes, s.events]));
    for (const text of ['hunter2', 'secret answer', 'tool result text', 'arg text'])
      expect(dump).not.toContain(text);
  });

  it('records content when opted in (option): GenAI message shape, masked and length-limited', async () => {
    await agent({ captureContent: true, maxContentLength: 200 }).run(async (s) => {
      await s.runTurn(
        () => ({
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'x'.repeat(500) }, finish_reason: 'stop' },
          ],
        }),
        { model: 'gpt-4o', input: [{ role: 'user', content: 'key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx' }] },
      );
      await s.runTool('lookup', () => 'tool result text', { args: { q: 'arg text' } });
    });
    const chat = otel.span('chat gpt-4o');
    expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'key [REDACTED]' }] },
    ]);
    const output = String(chat.attributes['gen_ai.output.messages']);
    expect(output.length).toBeLessThanOrEqual(200);
    const [message] = JSON.parse(output);
    expect(message).toMatchObject({ role: 'assistant', finish_reason: 'stop' });
    expect(message.parts[0].content).toMatch(/^x+…$/);
    expect(chat.attributes['agentrace.content.truncated']).toEqual(['gen_ai.output.messages']);
    const tool = otel.span('execute_tool lookup');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"q":"arg text"}');
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('tool result text');
  });

  it('passes content through the redactor first; a throwing redactor drops the content, not the turn', async () => {
    const seen: unknown[] = [];
    await agent({
      captureContent: true,
      contentRedactor: (content) => {
        seen.push(content);
        if (content.outputMessages) return undefined;
        return {
          ...content,
          inputMessages: content.inputMessages?.map((m) => ({
            ...m,
            parts: m.parts.map((p) => (p.type === 'text' ? { ...p, content: 'scrubbed' } : p)),
          })),
        };
      },
    }).run((s) => s.runTurn(() => 'the answer', { model: 'gpt-4o', input: 'call me at 555-0100' }));
    const chat = otel.span('chat gpt-4o');
    expect(chat.attributes['gen_ai.input.messages']).toBe(
      '[{"role":"user","parts":[{"type":"text","content":"scrubbed"}]}]',
    );
    expect(chat.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(seen).toHaveLength(2);

    const result = await agent({
      captureContent: true,
      contentRedactor: () => {
        throw new Error('redactor bug');
      },
    }).run((s) => s.runTurn(() => 'still answered', { model: 'claude-sonnet-4-5', input: 'hello' }));
    expect(result).toMatchObject({ ok: true, result: 'still answered' });
    const other = otel.span('chat claude-sonnet-4-5');
    expect(other.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(other.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('rejects bad content options with a typed error naming the option', () => {
    expect(() => agent({ captureContent: true, maxContentLength: 10 })).toThrow(/maxContentLength/);
    expect(() => agent({ contentRedactor: 'no' as never })).toThrow(/contentRedactor/);
    expect(() => agent({ captureContent: 'yes' as never })).toThrow(/captureContent/);
  });

  it('honours OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', async () => {
    const before = process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
    process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'true';
    try {
      await agent().run((s) => s.runTurn(() => 'out', { model: 'gpt-4o', input: 'in' }));
      await agent({ captureContent: false }).run((s) =>
        s.runTurn(() => 'out2', { model: 'claude-sonnet-4-5', input: 'in2' }),
      );
    } finally {
      if (before === undefined) delete process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
      else process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = before;
    }
    expect(otel.span('chat gpt-4o').attributes['gen_ai.input.messages']).toBe(
      '[{"role":"user","parts":[{"type":"text","content":"in"}]}]',
    );
    expect(otel.span('chat gpt-4o').attributes['gen_ai.output.messages']).toBe(
      '[{"role":"assistant","parts":[{"type":"text","content":"out"}],"finish_reason":"stop"}]',
    );
    expect(otel.span('chat claude-sonnet-4-5').attributes['gen_ai.input.messages']).toBeUndefined();
  });

  it('limits the length of recorded error text', async () => {
    await agent({ maxAttributeLength: 100 })
      .run((s) => s.runTurn(() => Promise.reject(new Error('e'.repeat(10_000))), { model: 'gpt-4o' }))
      .catch(() => undefined);
    const exception = otel.span('chat gpt-4o').events.find((e) => e.name === 'exception')!;
    expect(String(exception.attributes?.['exception.message']).length).toBeLessThanOrEqual(100);
  });
});

describe('concurrency', () => {
  it('200 concurrent turns keep counts, totals, budget and metrics exact', async () => {
    const session = await agent({ maxIterations: 1000, budgetUsd: 0.5 }).run(async (s) => {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          s.runTurn(
            async () => {
              await new Promise((r) => setTimeout(r, i % 7));
              return i;
            },
            { model: 'gpt-4o', provider: 'openai', usage: { inputTokens: 1000, outputTokens: 100 } },
          ),
        ),
      );
      return s;
    });
    expect(session.tracker.turnCount).toBe(200);
    expect(session.turnsStarted).toBe(200);
    expect(session.tracker.totalInputTokens).toBe(200_000);
    expect(session.tracker.totalOutputTokens).toBe(20_000);
    const perTurn = (1000 * 2.5 + 100 * 10) / 1e6;
    expect(session.tracker.totalCost()).toBeCloseTo(200 * perTurn, 10);
    // 0.5 USD budget is crossed at turn 143 (143 × 0.0035 = 0.5005): announced once
    expect(session.events.filter((e) => e.event === 'agent.budget.exceeded')).toHaveLength(1);
    expect(otel.spans().filter((s) => s.name === 'chat gpt-4o')).toHaveLength(200);
    const tokens = (await otel.metric<Histogram>('gen_ai.client.token.usage'))!;
    expect(tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')!.value.count).toBe(200);
    const exceeded = (await otel.metric('agentrace.budget.exceeded'))!;
    expect(exceeded.points[0]!.value).toBe(58);
  });
});

describe('providers', () => {
  it('works with no SDK registered (no-op API)', async () => {
    const noSdk = new AgentSession({ role: 'r', phase: 'p', pricing: prices() });
    const out = await noSdk.run(async (s) => {
      const { costUsd } = await s.runTurn(() => 1, { model: 'gpt-4o', usage: { inputTokens: 1000 } });
      await s.runTool('t', () => 1);
      return costUsd;
    });
    expect(out).toBeCloseTo(0.0025, 12);
    expect(otel.spans()).toHaveLength(0);
  });

  it('uses providers registered globally after the session was created', async () => {
    const late = new AgentSession({ role: 'late', phase: 'p', pricing: prices() });
    trace.setGlobalTracerProvider(otel.tracerProvider);
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(otel.meterProvider);
    try {
      await late.run((s) => s.runTurn(() => 1, { model: 'gpt-4o', usage: { inputTokens: 10 } }));
      expect(otel.span('invoke_agent late')).toBeDefined();
      expect((await otel.metric('agentrace.cost'))?.points).toHaveLength(1);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('a tracer or meter that throws never breaks the agent', async () => {
    const broken = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer exploded');
        },
        startActiveSpan: () => {
          throw new Error('tracer exploded');
        },
      }),
    };
    const brokenMeter = {
      getMeter: () => {
        throw new Error('meter exploded');
      },
    };
    const a = new AgentSession({
      role: 'r',
      phase: 'p',
      tracerProvider: broken as never,
      meterProvider: brokenMeter as never,
      pricing: prices(),
    });
    const result = await a.run(async (s) => {
      const t = await s.runTurn(() => 'fine', { model: 'gpt-4o', usage: { inputTokens: 5 } });
      await s.runTool('x', () => 1);
      return t.result;
    });
    expect(result).toBe('fine');
  });
});
