import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentraceCallbackHandler } from './handler.js';
import { LangChainInstrumentation } from './langchain-instrumentation.js';

// The patch the module hooks apply on load, applied here to the real @langchain/core callback manager module
// (vitest loads it outside the hooks), with a real chat model of @langchain/core's testing utilities.
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let manager: typeof import('@langchain/core/callbacks/manager');
let instrumentation: LangChainInstrumentation;

beforeAll(async () => {
  manager = await import('@langchain/core/callbacks/manager');
  instrumentation = new LangChainInstrumentation({ enabled: false, sweepTimer: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.enable();
  instrumentation.patchManager(manager);
});

afterAll(() => {
  instrumentation.unpatchManager(manager);
  instrumentation.disable();
});

async function chatModel() {
  const { FakeListChatModel } = await import('@langchain/core/utils/testing');
  return new FakeListChatModel({ responses: ['one', 'two'] });
}

describe('LangChainInstrumentation', () => {
  it('traces a run given no callbacks: the handler joins every callback manager', async () => {
    exporter.reset();
    const model = await chatModel();
    const reply = await model.invoke('hello');
    expect(reply.content).toBe('one');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['chat']);
    expect(spans[0]?.instrumentationScope.name).toBe('@agentrace/instrumentation/langchain');
  });

  it('adds itself once: a manager holding an agentrace handler already (passed by the app) is left as is', async () => {
    exporter.reset();
    const mine = new AgentraceCallbackHandler({ tracerProvider, sweepTimer: false });
    const model = await chatModel();
    await model.invoke('hello', { callbacks: [mine] });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('patches a module once, records nothing while disabled, and restores the original on unpatch', async () => {
    const before = manager.CallbackManager._configureSync;
    instrumentation.patchManager(manager);
    expect(manager.CallbackManager._configureSync).toBe(before);
    exporter.reset();
    instrumentation.disable();
    try {
      await (await chatModel()).invoke('hello');
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      instrumentation.enable();
    }
    instrumentation.unpatchManager(manager);
    expect(manager.CallbackManager._configureSync).not.toBe(before);
    exporter.reset();
    await (await chatModel()).invoke('hello');
    expect(exporter.getFinishedSpans()).toEqual([]);
    instrumentation.patchManager(manager);
  });
});
