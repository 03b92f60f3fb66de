import { semconv as sc } from '@agentrace/core';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { AgentraceCallbackHandler } from './handler.js';

// LangChain's callback calls, made directly: the handler's contract with the events, including malformed ones.
function setup(extra: { spanTimeoutMs?: number; now?: () => number } = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new AgentraceCallbackHandler({ tracerProvider, sweepTimer: false, ...extra });
  return { exporter, handler };
}

const graph = { id: ['langgraph', 'pregel', 'CompiledStateGraph'] };

describe('AgentraceCallbackHandler', () => {
  it('reads usage from llmOutput.tokenUsage when the message has no usage_metadata', () => {
    const { exporter, handler } = setup();
    handler.handleChainStart(graph, {}, 'a', undefined, [], {}, 'chain', 'planner');
    handler.handleChatModelStart(
      { id: ['langchain', 'chat_models', 'openai', 'ChatOpenAI'] },
      [[]],
      'm',
      'a',
      { invocation_params: { model: 'gpt-4o-mini' } },
    );
    handler.handleLLMEnd(
      {
        generations: [[{ text: 'ok' }]],
        llmOutput: { tokenUsage: { promptTokens: 50, completionTokens: 5, totalTokens: 55 } },
      },
      'm',
      'a',
    );
    handler.handleChainEnd({}, 'a');
    const spans = exporter.getFinishedSpans();
    const chat = spans.find((s) => s.name === 'chat gpt-4o-mini');
    const agent = spans.find((s) => s.name === 'invoke_agent planner');
    expect(chat?.attributes[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(50);
    expect(chat?.attributes[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(5);
    expect(chat?.parentSpanContext?.spanId).toBe(agent?.spanContext().spanId);
    expect(handler.openRuns).toBe(0);
  });

  it('never throws on malformed or out-of-order events', () => {
    const { exporter, handler } = setup();
    const h = handler as unknown as Record<string, (...args: unknown[]) => void>;
    expect(() => {
      h.handleChainStart?.(undefined, undefined, 'x', 'no-such-parent');
      h.handleLLMEnd?.(null, 'never-started');
      h.handleLLMEnd?.({ generations: 'not an array', llmOutput: 7 }, 'x');
      h.handleToolEnd?.(Symbol('odd'), 'never-started');
      h.handleToolError?.(undefined, 'never-started');
      h.handleChatModelStart?.(null, null, 'm2', undefined, null, null);
      h.handleLLMError?.({ not: 'an error' }, 'm2');
      h.handleRetrieverStart?.({}, 42, 'r');
      h.handleRetrieverEnd?.('not documents', 'r');
      h.handleChainError?.(null, 'x');
    }).not.toThrow();
    expect(handler.openRuns).toBe(0);
    const failed = exporter.getFinishedSpans().find((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed).toBeDefined();
  });

  it('ends a run never ended after the timeout and marks it abandoned', () => {
    let now = 0;
    const { exporter, handler } = setup({ spanTimeoutMs: 1_000, now: () => now });
    handler.handleToolStart({ name: 'slow_tool' }, '{}', 't', undefined, [], {}, 'slow_tool');
    expect(handler.openRuns).toBe(1);
    now = 500;
    expect(handler.sweep()).toBe(0);
    now = 1_500;
    expect(handler.sweep()).toBe(1);
    expect(handler.openRuns).toBe(0);
    const tool = exporter.getFinishedSpans().find((s) => s.name === 'execute_tool slow_tool');
    expect(tool?.attributes['agentrace.framework.abandoned']).toBe(true);
    expect(tool?.attributes['error.type']).toBe('span_abandoned');
  });

  it('a real @langchain/core retriever run becomes a retrieval span; its failure carries error.type', async () => {
    const { BaseRetriever } = await import('@langchain/core/retrievers');
    const { Document } = await import('@langchain/core/documents');
    class Notes extends BaseRetriever {
      override lc_namespace = ['test', 'notes'];
      override async _getRelevantDocuments(query: string) {
        if (query === 'boom') throw new TypeError('index offline');
        return [new Document({ pageContent: `about ${query}` })];
      }
    }
    const { exporter, handler } = setup();
    const docs = await new Notes().invoke('paris', { callbacks: [handler] });
    expect(docs).toHaveLength(1);
    await expect(new Notes().invoke('boom', { callbacks: [handler] })).rejects.toThrow('index offline');
    const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('retrieval'));
    expect(spans).toHaveLength(2);
    expect(spans[0]?.attributes[sc.ATTR_GEN_AI_OPERATION_NAME]).toBe('retrieval');
    expect(spans[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[1]?.attributes['error.type']).toBeDefined();
    expect(handler.openRuns).toBe(0);
  });
});
