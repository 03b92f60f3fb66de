/**
 * The real LangChain.js stack (`@langchain/core`, `@langchain/openai`, `@langchain/langgraph`) traced by
 * agentrace's callback handler, against a loopback server answering as OpenAI Chat Completions does
 * (SIMULATED provider: queued replies, no model): a LangGraph ReAct agent with one tool, and a failing tool.
 * Asserts one trace, invoke_agent → chat / execute_tool nesting, one chat span per model call, usage and cost.
 */
import { semconv as sc } from '@agentrace/core';
import { context, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentraceCallbackHandler,
  instrumentLangChain,
} from '../packages/instrumentation/src/langchain/index.js';
import { type FakeProvider, type FakeReply, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type ReadableSpan, type TestTelemetry } from './helpers/otel.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

let otel: TestTelemetry;
let provider: FakeProvider;

/** A Chat Completions body: either text or one tool call. */
function completion(
  id: string,
  reply: { text?: string; tool?: { id: string; name: string; args: unknown } },
): FakeReply {
  return {
    json: {
      id,
      object: 'chat.completion',
      created: 1_741_476_777,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: reply.text ?? null,
            ...(reply.tool && {
              tool_calls: [
                {
                  id: reply.tool.id,
                  type: 'function',
                  function: { name: reply.tool.name, arguments: JSON.stringify(reply.tool.args) },
                },
              ],
            }),
          },
          finish_reason: reply.tool ? 'tool_calls' : 'stop',
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 10,
        total_tokens: 110,
        prompt_tokens_details: { cached_tokens: 20 },
      },
    },
  };
}

/** The same reply as {@link completion}, streamed as Chat Completions chunks with a final usage chunk. */
function streamed(
  id: string,
  reply: { text?: string; tool?: { id: string; name: string; args: unknown } },
): FakeReply {
  const base = {
    id,
    object: 'chat.completion.chunk',
    created: 1_741_476_777,
    model: 'gpt-4o-mini-2024-07-18',
  };
  const delta = reply.tool
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            index: 0,
            id: reply.tool.id,
            type: 'function',
            function: { name: reply.tool.name, arguments: JSON.stringify(reply.tool.args) },
          },
        ],
      }
    : { role: 'assistant', content: reply.text ?? '' };
  return {
    sse: {
      doneMarker: true,
      events: [
        { ...base, choices: [{ index: 0, delta, finish_reason: null }] },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: reply.tool ? 'tool_calls' : 'stop' }] },
        {
          ...base,
          choices: [],
          usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
        },
      ],
    },
  };
}

const attr = (s: ReadableSpan, key: string) => s.attributes[key];
const parentOf = (s: ReadableSpan) =>
  otel.spans().find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);

describe.skipIf(NODE_MAJOR < 22)(
  'LangChain.js / LangGraph.js (@langchain/openai declares Node >= 22)',
  () => {
    beforeAll(async () => {
      otel = createTestTelemetry();
      provider = await startFakeProvider();
    });

    afterAll(async () => {
      await provider?.close();
      await otel?.shutdown();
    });

    beforeEach(() => {
      otel.exporter.reset();
    });

    async function reactAgent(execute: (input: { city: string }) => Promise<string>) {
      const { ChatOpenAI } = await import('@langchain/openai');
      const { tool } = await import('@langchain/core/tools');
      const { createReactAgent } = await import('@langchain/langgraph/prebuilt');
      const { z } = await import('zod');
      const weather = tool(execute, {
        name: 'get_weather',
        description: 'Weather for a city',
        schema: z.object({ city: z.string() }),
      });
      const llm = new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'sk-test-not-a-real-key',
        configuration: { baseURL: `${provider.url}/v1` },
        maxRetries: 0,
      });
      return createReactAgent({ llm, tools: [weather], name: 'weather_agent' });
    }

    it('a ReAct agent with one tool: one trace, invoke_agent → chat / execute_tool, usage and cost', async () => {
      const handler = instrumentLangChain({ tracerProvider: otel.tracerProvider, captureContent: true });
      const db = otel.tracerProvider.getTracer('db-client');
      // A span another instrumentation would make inside the tool (a database query).
      const agent = await reactAgent(async ({ city }) => {
        db.startSpan('SELECT weather', {}, context.active()).end();
        return `sunny in ${city}`;
      });
      provider.enqueue(
        completion('chatcmpl_1', { tool: { id: 'call_w', name: 'get_weather', args: { city: 'Paris' } } }),
        completion('chatcmpl_2', { text: 'Sunny in Paris.' }),
      );
      const result = await agent.invoke(
        { messages: [{ role: 'user', content: 'Weather in Paris?' }] },
        { callbacks: [handler] },
      );
      const last = result.messages[result.messages.length - 1];
      expect(last?.content).toBe('Sunny in Paris.');
      expect(provider.requests.length).toBeGreaterThanOrEqual(2);

      const spans = otel.spans();
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      const agents = spans.filter((s) => s.name.startsWith('invoke_agent'));
      expect(agents.map((s) => s.name)).toEqual(['invoke_agent weather_agent']);
      const agentSpan = agents[0] as ReadableSpan;
      expect(agentSpan.parentSpanContext).toBeUndefined();
      expect(attr(agentSpan, sc.ATTR_GEN_AI_AGENT_NAME)).toBe('weather_agent');

      // One chat span per model call, no duplicate from another layer.
      const chats = spans.filter((s) => s.name.startsWith('chat'));
      expect(chats.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini']);
      for (const chat of chats) {
        expect(parentOf(chat)).toBe(agentSpan);
        expect(attr(chat, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBe(10);
        expect(Number(attr(chat, sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS))).toBeGreaterThan(0);
        expect(attr(chat, sc.ATTR_AGENTRACE_USAGE_COST) as number).toBeGreaterThan(0);
      }
      // The agent carries the sum of its model calls' cost, each counted once.
      const cost = (s: ReadableSpan) => attr(s, sc.ATTR_AGENTRACE_USAGE_COST) as number;
      expect(cost(agentSpan)).toBeCloseTo(
        cost(chats[0] as ReadableSpan) + cost(chats[1] as ReadableSpan),
        12,
      );
      expect(attr(chats[0] as ReadableSpan, sc.ATTR_GEN_AI_RESPONSE_MODEL)).toBe('gpt-4o-mini-2024-07-18');

      const tools = spans.filter((s) => s.name.startsWith('execute_tool'));
      expect(tools.map((s) => s.name)).toEqual(['execute_tool get_weather']);
      const toolSpan = tools[0] as ReadableSpan;
      expect(parentOf(toolSpan)).toBe(agentSpan);
      expect(attr(toolSpan, sc.ATTR_GEN_AI_TOOL_NAME)).toBe('get_weather');

      // Plumbing chain runs (graph nodes, prompt runnables) are folded by default.
      const query = otel.span('SELECT weather');
      expect(parentOf(query)).toBe(toolSpan);
      expect(spans).toHaveLength(5);
      expect(handler.openRuns).toBe(0);
    });

    it('a failing tool: execute_tool with error.type, the agent still ends', async () => {
      const handler = new AgentraceCallbackHandler({ tracerProvider: otel.tracerProvider });
      const agent = await reactAgent(async () => {
        throw new RangeError('no such city');
      });
      provider.enqueue(
        completion('chatcmpl_3', { tool: { id: 'call_x', name: 'get_weather', args: { city: 'Atlantis' } } }),
        completion('chatcmpl_4', { text: 'I could not find it.' }),
      );
      await agent
        .invoke({ messages: [{ role: 'user', content: 'Weather in Atlantis?' }] }, { callbacks: [handler] })
        .catch(() => undefined);
      const toolSpan = otel.span('execute_tool get_weather');
      expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
      // agentrace's error shape: the classified type, as a native session records a failing tool.
      expect(attr(toolSpan, 'error.type')).toBe('tool_error');
      expect(attr(toolSpan, sc.ATTR_AGENT_FAILURE_CLASS)).toBe('tool_error');
      expect(otel.spans().filter((s) => s.name === 'invoke_agent weather_agent')).toHaveLength(1);
      expect(handler.openRuns).toBe(0);
    });

    it("langchain's classic AgentExecutor (@langchain/classic): invoke_agent AgentExecutor → chat / execute_tool", async () => {
      const { ChatOpenAI } = await import('@langchain/openai');
      const { tool } = await import('@langchain/core/tools');
      const { ChatPromptTemplate } = await import('@langchain/core/prompts');
      const { AgentExecutor, createToolCallingAgent } = await import('@langchain/classic/agents');
      const { z } = await import('zod');
      const handler = new AgentraceCallbackHandler({ tracerProvider: otel.tracerProvider });
      const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
        name: 'get_weather',
        description: 'Weather for a city',
        schema: z.object({ city: z.string() }),
      });
      const llm = new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'sk-test-not-a-real-key',
        configuration: { baseURL: `${provider.url}/v1` },
        maxRetries: 0,
      });
      const prompt = ChatPromptTemplate.fromMessages([
        ['system', 'You answer weather questions.'],
        ['human', '{input}'],
        ['placeholder', '{agent_scratchpad}'],
      ]);
      const agent = createToolCallingAgent({ llm, tools: [weather], prompt });
      const executor = new AgentExecutor({ agent, tools: [weather] });
      provider.enqueue(
        // The executor streams its agent's steps, so ChatOpenAI asks for a stream.
        streamed('chatcmpl_e1', { tool: { id: 'call_e', name: 'get_weather', args: { city: 'Rome' } } }),
        streamed('chatcmpl_e2', { text: 'Sunny in Rome.' }),
      );
      const before = provider.requests.length;
      const result = await executor.invoke({ input: 'Weather in Rome?' }, { callbacks: [handler] });
      expect(result.output).toBe('Sunny in Rome.');

      const spans = otel.spans();
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      const agentSpan = otel.span('invoke_agent AgentExecutor');
      expect(agentSpan.parentSpanContext).toBeUndefined();
      expect(attr(agentSpan, sc.ATTR_GEN_AI_OPERATION_NAME)).toBe('invoke_agent');
      const chats = spans.filter((s) => s.name.startsWith('chat'));
      expect(chats).toHaveLength(provider.requests.length - before);
      expect(chats).toHaveLength(2);
      for (const chat of chats) {
        expect(parentOf(chat)).toBe(agentSpan);
        expect(attr(chat, sc.ATTR_AGENTRACE_USAGE_COST) as number).toBeGreaterThan(0);
        expect(attr(chat, sc.ATTR_GEN_AI_AGENT_NAME)).toBe('AgentExecutor');
      }
      const toolSpan = otel.span('execute_tool get_weather');
      expect(parentOf(toolSpan)).toBe(agentSpan);
      expect(attr(toolSpan, sc.ATTR_AGENTRACE_TOOL_OUTCOME)).toBe('ok');
      expect(handler.openRuns).toBe(0);
    });

    it('chain spans can be kept as internal spans', async () => {
      const handler = new AgentraceCallbackHandler({
        tracerProvider: otel.tracerProvider,
        chainSpans: 'internal',
      });
      const agent = await reactAgent(async ({ city }) => `sunny in ${city}`);
      provider.enqueue(completion('chatcmpl_5', { text: 'Hello.' }));
      await agent.invoke({ messages: [{ role: 'user', content: 'Hi' }] }, { callbacks: [handler] });
      const spans = otel.spans();
      expect(spans.filter((s) => s.name.startsWith('chat'))).toHaveLength(1);
      expect(spans.length).toBeGreaterThan(2);
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    });
  },
);
