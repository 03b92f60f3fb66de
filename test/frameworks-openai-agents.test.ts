/**
 * The real OpenAI Agents SDK (`@openai/agents`) traced by agentrace's TracingProcessor, against a loopback
 * server answering as the OpenAI Responses API does (SIMULATED provider: queued replies, no model): a triage
 * agent handing off to a weather agent that calls a tool, a failing tool, a guardrail tripwire, a failing model
 * call and a run without sensitive data. Asserts the span tree, one chat span per model call, usage, cost,
 * the handoff link and one trace id per run, through the real OTel SDK.
 */
import { semconv as sc } from '@agentrace/core';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  instrumentOpenAIAgents,
  type OpenAIAgentsModule,
} from '../packages/instrumentation/src/openai-agents/index.js';
import { type FakeProvider, type FakeReply, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type ReadableSpan, type TestTelemetry } from './helpers/otel.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

type Agents = typeof import('@openai/agents');

let agents: Agents;
let z: typeof import('zod').z;
let otel: TestTelemetry;
let provider: FakeProvider;

/** A Responses API body with the given output items and usage. */
function response(id: string, output: unknown[], input = 100, cached = 20, out = 10): FakeReply {
  return {
    json: {
      id,
      object: 'response',
      created_at: 1_741_476_777,
      status: 'completed',
      model: 'gpt-4.1-2025-04-14',
      output,
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: cached },
        output_tokens: out,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + out,
      },
    },
  };
}

const call = (id: string, callId: string, name: string, args: unknown) => ({
  type: 'function_call',
  id,
  call_id: callId,
  name,
  arguments: JSON.stringify(args),
  status: 'completed',
});
const message = (text: string) => ({
  type: 'message',
  id: `msg_${text.length}`,
  status: 'completed',
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [] }],
});

const attr = (s: ReadableSpan, key: string) => s.attributes[key];
const byName = (name: string) => otel.spans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) =>
  otel.spans().find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);

describe.skipIf(NODE_MAJOR < 22)('OpenAI Agents SDK (its openai 7 dependency declares Node >= 22)', () => {
  beforeAll(async () => {
    agents = await import('@openai/agents');
    z = (await import('zod')).z;
    otel = createTestTelemetry();
    // The SDK turns its tracing off when NODE_ENV is `test` (vitest sets it); an app has it on.
    agents.setTracingDisabled(false);
    // One provider for the file: the SDK's OpenAI provider keeps the first client it was given.
    provider = await startFakeProvider();
    const { default: OpenAI } = await import('openai');
    agents.setDefaultOpenAIClient(
      new OpenAI({ apiKey: 'sk-test-not-a-real-key', baseURL: `${provider.url}/v1`, maxRetries: 0 }) as never,
    );
    // exclusive: the SDK's default processor would export to OpenAI's servers.
    await instrumentOpenAIAgents({
      agents: agents as unknown as OpenAIAgentsModule,
      exclusive: true,
      tracerProvider: otel.tracerProvider,
      captureContent: true,
    });
  });

  afterAll(async () => {
    await provider?.close();
    await otel?.shutdown();
  });

  beforeEach(() => {
    otel.exporter.reset();
  });

  it('triage hands off to an agent that calls a tool: one trace, agents, chats, tool, handoff link, cost', async () => {
    const db = otel.tracerProvider.getTracer('db-client');
    const weather = agents.tool({
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: z.object({ city: z.string() }),
      // A span another instrumentation would make inside the tool (a database query).
      execute: async ({ city }) => {
        db.startSpan('SELECT weather', {}, context.active()).end();
        return `sunny in ${city}`;
      },
    });
    const helper = new agents.Agent({
      name: 'weather_agent',
      instructions: 'w',
      tools: [weather],
      model: 'gpt-4.1',
    });
    const triage = new agents.Agent({
      name: 'triage',
      instructions: 't',
      handoffs: [helper],
      model: 'gpt-4.1',
    });
    provider.enqueue(
      response('resp_1', [call('fc_1', 'call_h', 'transfer_to_weather_agent', {})]),
      response('resp_2', [call('fc_2', 'call_w', 'get_weather', { city: 'Paris' })]),
      response('resp_3', [message('Sunny in Paris.')]),
    );
    const result = await agents.run(triage, 'Weather in Paris?');
    expect(result.finalOutput).toBe('Sunny in Paris.');

    const spans = otel.spans();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const workflow = otel.span('invoke_workflow Agent workflow');
    expect(workflow.parentSpanContext).toBeUndefined();
    expect(attr(workflow, 'agentrace.framework.trace_id')).toMatch(/^trace_/);

    const triageSpan = otel.span('invoke_agent triage');
    const helperSpan = otel.span('invoke_agent weather_agent');
    expect(parentOf(triageSpan)).toBe(workflow);
    expect(parentOf(helperSpan)).toBe(workflow);
    expect(attr(helperSpan, sc.ATTR_GEN_AI_AGENT_NAME)).toBe('weather_agent');
    expect(attr(helperSpan, sc.ATTR_GEN_AI_OPERATION_NAME)).toBe('invoke_agent');

    // The handoff: an event on the source agent, a link from the target agent's span.
    const handoff = triageSpan.events.find((e) => e.name === 'agent.handoff');
    expect(handoff?.attributes).toMatchObject({
      [sc.ATTR_AGENTRACE_HANDOFF_SOURCE]: 'triage',
      [sc.ATTR_AGENTRACE_HANDOFF_TARGET]: 'weather_agent',
    });
    expect(helperSpan.links).toHaveLength(1);
    expect(helperSpan.links[0]?.context.spanId).toBe(triageSpan.spanContext().spanId);
    expect(helperSpan.links[0]?.attributes?.[sc.ATTR_AGENTRACE_LINK_TYPE]).toBe('handoff');

    // One chat span per model call, each costed once.
    const chats = byName('chat gpt-4.1-2025-04-14');
    expect(chats).toHaveLength(provider.requests.length);
    expect(chats).toHaveLength(3);
    for (const chat of chats) {
      expect(chat.kind).toBe(SpanKind.CLIENT);
      expect(attr(chat, sc.ATTR_GEN_AI_OPERATION_NAME)).toBe('chat');
      expect(attr(chat, sc.ATTR_GEN_AI_PROVIDER_NAME)).toBe('openai');
      expect(attr(chat, sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(100);
      expect(attr(chat, sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)).toBe(20);
      expect(attr(chat, sc.ATTR_AGENTRACE_USAGE_PLAIN_INPUT_TOKENS)).toBe(80);
      expect(attr(chat, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBe(10);
      expect(attr(chat, sc.ATTR_AGENTRACE_USAGE_COST)).toBeGreaterThan(0);
    }
    expect(chats.map((c) => attr(c, sc.ATTR_GEN_AI_RESPONSE_ID)).sort()).toEqual([
      'resp_1',
      'resp_2',
      'resp_3',
    ]);
    expect(parentOf(chats.find((c) => attr(c, sc.ATTR_GEN_AI_RESPONSE_ID) === 'resp_1')!)).toBe(triageSpan);
    expect(chats.filter((c) => parentOf(c) === helperSpan)).toHaveLength(2);

    // Agent and workflow totals add up their chats.
    const cost = (s: ReadableSpan) => attr(s, sc.ATTR_AGENTRACE_USAGE_COST) as number;
    expect(cost(helperSpan)).toBeCloseTo(cost(chats[1]!) + cost(chats[2]!), 12);
    expect(cost(workflow)).toBeCloseTo(
      chats.reduce((sum, c) => sum + cost(c), 0),
      12,
    );
    expect(attr(workflow, sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(300);

    // The tool: under its agent, with the call id the model gave, content captured (capture is on here).
    const tool = otel.span('execute_tool get_weather');
    expect(parentOf(tool)).toBe(helperSpan);
    expect(attr(tool, sc.ATTR_GEN_AI_TOOL_CALL_ID)).toBe('call_w');
    expect(attr(tool, sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS)).toBe('{"city":"Paris"}');
    expect(attr(tool, sc.ATTR_GEN_AI_TOOL_CALL_RESULT)).toBe('sunny in Paris');
    expect(attr(tool, sc.ATTR_AGENTRACE_TOOL_OUTCOME)).toBe('ok');
    // The span made inside the tool nests under the tool span: the OTel context follows the SDK's.
    expect(parentOf(otel.span('SELECT weather'))).toBe(tool);
  });

  it('a failing tool: execute_tool is an error with tool_error, the run goes on', async () => {
    const broken = agents.tool({
      name: 'lookup',
      description: 'fails',
      parameters: z.object({ q: z.string() }),
      execute: async () => {
        throw new Error('database unreachable');
      },
    });
    const agent = new agents.Agent({ name: 'looker', instructions: 'l', tools: [broken], model: 'gpt-4.1' });
    provider.enqueue(
      response('resp_a', [call('fc_a', 'call_a', 'lookup', { q: 'x' })]),
      response('resp_b', [message('Could not look it up.')]),
    );
    const result = await agents.run(agent, 'look up x');
    expect(result.finalOutput).toBe('Could not look it up.');
    const tool = otel.span('execute_tool lookup');
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(tool, 'error.type')).toBe('tool_error');
    expect(attr(tool, sc.ATTR_AGENT_FAILURE_CLASS)).toBe('tool_error');
    expect(attr(tool, sc.ATTR_AGENTRACE_TOOL_OUTCOME)).toBe('error');
    expect(byName('chat gpt-4.1-2025-04-14')).toHaveLength(2);
  });

  it('a guardrail tripwire: guardrail span tripped, agentrace guardrail event on the agent', async () => {
    const agent = new agents.Agent({
      name: 'guarded',
      instructions: 'g',
      model: 'gpt-4.1',
      inputGuardrails: [
        {
          name: 'no_secrets',
          runInParallel: false,
          execute: async () => ({ tripwireTriggered: true, outputInfo: { reason: 'secret' } }),
        },
      ],
    });
    // runInParallel false: the tripwire fires before any model call, so no reply is queued.
    await expect(agents.run(agent, 'my password is hunter2')).rejects.toBeInstanceOf(
      agents.InputGuardrailTripwireTriggered,
    );
    const guardrail = otel.span('guardrail no_secrets');
    expect(attr(guardrail, 'agentrace.guardrail.outcome')).toBe('tripped');
    expect(attr(guardrail, 'error.type')).toBe(sc.ERROR_TYPE_VALUE_GUARDRAIL);
    const agentSpan = otel.span('invoke_agent guarded');
    expect(parentOf(guardrail)).toBe(agentSpan);
    expect(agentSpan.events.find((e) => e.name === 'agent.guardrail.blocked')?.attributes).toMatchObject({
      [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: 'no_secrets',
    });
    expect(otel.spans().every((s) => s.spanContext().traceId === agentSpan.spanContext().traceId)).toBe(true);
  });

  it('a failing model call: chat span error with the classified error.type and failure class', async () => {
    const agent = new agents.Agent({ name: 'unlucky', instructions: 'u', model: 'gpt-4.1' });
    const limited: FakeReply = {
      status: 429,
      headers: { 'retry-after': '0' },
      json: {
        error: { message: 'Rate limit reached for gpt-4.1', type: 'requests', code: 'rate_limit_exceeded' },
      },
    };
    provider.enqueue(limited);
    const before = provider.requests.length;
    await expect(agents.run(agent, 'hi')).rejects.toThrow();
    const chats = otel.spans().filter((s) => attr(s, sc.ATTR_GEN_AI_OPERATION_NAME) === 'chat');
    expect(chats).toHaveLength(provider.requests.length - before);
    const chat = chats[0]!;
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(chat, 'error.type')).toBe('rate_limit');
    expect(attr(chat, sc.ATTR_AGENT_FAILURE_CLASS)).toBe('rate_limit');
    expect(otel.span('invoke_agent unlucky').status.code).toBe(SpanStatusCode.ERROR);
  });

  it("without sensitive data: no content, the turn's usage recorded once per model call", async () => {
    const agent = new agents.Agent({ name: 'quiet', instructions: 'q', model: 'gpt-4.1' });
    provider.enqueue(response('resp_q', [message('ok')], 50, 0, 5));
    const runner = new agents.Runner({ traceIncludeSensitiveData: false });
    await runner.run(agent, 'hello');
    const chats = otel.spans().filter((s) => attr(s, sc.ATTR_GEN_AI_OPERATION_NAME) === 'chat');
    expect(chats).toHaveLength(1);
    // The turn's usage reaches the chat span; the SDK drops the response (and so the model name) in this
    // mode, so the call cannot be priced: no cost rather than a guessed one.
    expect(attr(chats[0]!, sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(50);
    expect(attr(chats[0]!, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBe(5);
    expect(attr(chats[0]!, sc.ATTR_AGENTRACE_USAGE_COST)).toBeUndefined();
    expect(attr(otel.span('invoke_agent quiet'), sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(50);
    expect(attr(chats[0]!, sc.ATTR_GEN_AI_INPUT_MESSAGES)).toBeUndefined();
  });

  it('a run inside an application span joins its trace', async () => {
    const app = otel.tracerProvider.getTracer('app');
    const agent = new agents.Agent({ name: 'nested', instructions: 'n', model: 'gpt-4.1' });
    provider.enqueue(response('resp_n', [message('ok')]));
    const root = app.startSpan('POST /chat');
    await context.with(trace.setSpan(context.active(), root), () => agents.run(agent, 'hi'));
    root.end();
    const workflow = otel.span('invoke_workflow Agent workflow');
    expect(workflow.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(workflow.spanContext().traceId).toBe(root.spanContext().traceId);
  });
});
