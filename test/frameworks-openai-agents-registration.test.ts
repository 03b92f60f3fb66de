/**
 * How the register entry's OpenAI Agents SDK instrumentation keeps its place among the SDK's trace processors,
 * with the real SDK (`@openai/agents`) against a loopback Responses API (SIMULATED provider, queued replies):
 * added beside the SDK's own processors by default, re-added after the SDK's entry module replaces the list
 * (as `@openai/agents` does when it loads, installing its export to OpenAI), never listed twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIAgentsSdkInstrumentation } from '../packages/instrumentation/src/openai-agents/index.js';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

let agents: typeof import('@openai/agents');
let otel: TestTelemetry;
let provider: FakeProvider;

const reply = (id: string) => ({
  json: {
    id,
    object: 'response',
    created_at: 1_741_476_777,
    status: 'completed',
    model: 'gpt-4.1-2025-04-14',
    output: [
      {
        type: 'message',
        id: `msg_${id}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'ok', annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 40,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 4,
      total_tokens: 44,
    },
  },
});

describe.skipIf(NODE_MAJOR < 22)(
  'Agents SDK registration (its openai 7 dependency declares Node >= 22)',
  () => {
    beforeAll(async () => {
      agents = await import('@openai/agents');
      otel = createTestTelemetry();
      // The SDK turns its tracing off when NODE_ENV is `test` (vitest sets it); an app has it on.
      agents.setTracingDisabled(false);
      provider = await startFakeProvider();
      const { default: OpenAI } = await import('openai');
      agents.setDefaultOpenAIClient(
        new OpenAI({
          apiKey: 'sk-test-not-a-real-key',
          baseURL: `${provider.url}/v1`,
          maxRetries: 0,
        }) as never,
      );
      // The SDK's default processor exports to OpenAI's servers: this file's runs must not reach them.
      agents.setTraceProcessors([]);
    });

    afterAll(async () => {
      agents?.setTraceProcessors([]);
      await provider?.close();
      await otel?.shutdown();
    });

    it('added beside the SDK processors, re-added after the list is replaced, never twice', async () => {
      const instrumentation = new OpenAIAgentsSdkInstrumentation({ enabled: false, exclusive: false });
      // As registerInstrumentations does: the processor made later follows the instrumentation's provider.
      instrumentation.setTracerProvider(otel.tracerProvider);
      const seen: string[] = [];
      const other = {
        start() {},
        async onTraceStart() {},
        async onTraceEnd() {},
        async onSpanStart(span: { spanData: { type: string } }) {
          seen.push(span.spanData.type);
        },
        async onSpanEnd() {},
        async shutdown() {},
        async forceFlush() {},
      };
      agents.setTraceProcessors([other as never]);
      // The core loaded: agentrace's processor joins the list, the app's own stays.
      instrumentation.install(agents);
      expect(instrumentation.registration.listed).toBe(true);
      // The SDK's entry module replaces the list (its default export): the SDK shuts agentrace's down.
      agents.setTraceProcessors([other as never]);
      expect(instrumentation.registration.listed).toBe(false);
      // The entry module loaded: listed again, and a second install (another copy of the module) adds nothing.
      instrumentation.install(agents);
      instrumentation.install(agents);
      expect(instrumentation.registration.listed).toBe(true);

      provider.enqueue(reply('resp_r1'));
      const agent = new agents.Agent({ name: 'solo', instructions: 's', model: 'gpt-4.1' });
      await agents.run(agent, 'hi');
      // One chat span for one model call: the processor is listed once.
      expect(otel.spans().filter((s) => s.name.startsWith('chat'))).toHaveLength(1);
      expect(otel.spans().filter((s) => s.name === 'invoke_agent solo')).toHaveLength(1);
      expect(otel.spans()[0]?.instrumentationScope.name).toBe('@agentrace/instrumentation/openai-agents');
      // The app's processor still sees the SDK's spans: its export is left as configured.
      expect(seen).toContain('agent');
    });

    it('adds nothing when the app configured agentrace in code (instrumentOpenAIAgents)', async () => {
      const { instrumentOpenAIAgents } = await import(
        '../packages/instrumentation/src/openai-agents/index.js'
      );
      agents.setTraceProcessors([]);
      await instrumentOpenAIAgents({
        agents: agents as never,
        exclusive: true,
        tracerProvider: otel.tracerProvider,
      });
      const instrumentation = new OpenAIAgentsSdkInstrumentation({ enabled: false });
      instrumentation.setTracerProvider(otel.tracerProvider);
      instrumentation.install(agents);
      expect(instrumentation.registration.listed).toBe(false);
      otel.exporter.reset();
      provider.enqueue(reply('resp_r2'));
      await agents.run(new agents.Agent({ name: 'coded', instructions: 'c', model: 'gpt-4.1' }), 'hi');
      expect(otel.spans().filter((s) => s.name.startsWith('chat'))).toHaveLength(1);
    });
  },
);
