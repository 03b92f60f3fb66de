/**
 * The framework apps of examples/frameworks, unchanged, started with `node --import
 * @agentrace/instrumentation/register` (and their CommonJS twins with `--require`), against the SIMULATED
 * OpenAI endpoint of the examples (scripted replies, no model) and a loopback OTLP/HTTP receiver: one trace per
 * run, agent → chat → tool spans, one priced chat span per model call (the `openai` instrumentation, enabled
 * too, records none of them), the handoff link. They run the built package (`pnpm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SimulatedOpenAI, startSimulatedOpenAI } from '../examples/frameworks/simulated-openai.js';
import { type DecodedSpan, SPAN_KIND_CLIENT, spansOf, startOtlpReceiver } from './helpers/otlp.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const TESTS = fileURLToPath(new URL('.', import.meta.url));

let sim: SimulatedOpenAI;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeEach(async () => {
  sim = await startSimulatedOpenAI();
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await sim.close();
  await receiver.close();
});

/** Runs an app under the register entry; resolves with its exit code, output and the spans it exported. */
async function traced(
  flag: '--import' | '--require',
  app: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; spans: DecodedSpan[] }> {
  if (!existsSync(new URL('../packages/instrumentation/dist/register.js', import.meta.url))) {
    throw new Error('packages/instrumentation is not built: run `pnpm run build` first');
  }
  const {
    NODE_ENV: _test,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: _e,
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: _d,
    ...rest
  } = process.env;
  const cwd = app.startsWith('fixtures/') ? TESTS : EXAMPLES;
  const child = spawn(process.execPath, [flag, '@agentrace/instrumentation/register', app], {
    cwd,
    // NODE_ENV is vitest's `test`, in which the Agents SDK turns its tracing off: an app runs without it.
    env: {
      ...rest,
      OPENAI_BASE_URL: sim.url,
      OPENAI_API_KEY: 'simulated',
      AGENTRACE_OPENAI_AGENTS_EXCLUSIVE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'framework-app',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, spans: spansOf(receiver.requests) };
}

const parentOf = (spans: DecodedSpan[], s: DecodedSpan) => spans.find((p) => p.spanId === s.parentSpanId);
const one = (spans: DecodedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    `exactly one span ${name}`,
  ).toEqual([name]);
  return found[0] as DecodedSpan;
};

function expectChatsPricedOnce(spans: DecodedSpan[], calls: number, scope: string): DecodedSpan[] {
  const chats = spans.filter((s) => s.attrs['gen_ai.operation.name'] === 'chat');
  expect(chats).toHaveLength(calls);
  for (const chat of chats) {
    expect(chat.scope).toBe(scope);
    expect(chat.kind).toBe(SPAN_KIND_CLIENT);
    expect(chat.attrs['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(chat.attrs['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(chat.attrs['agentrace.usage.cost']).toBeGreaterThan(0);
  }
  // The client layer deferred to the framework layer: no span of its own for the same calls.
  expect(spans.filter((s) => s.scope === '@agentrace/instrumentation/openai')).toEqual([]);
  return chats;
}

describe.skipIf(NODE_MAJOR < 22)(
  'frameworks under the register entry (the framework packages need Node >= 22)',
  () => {
    for (const [flag, app] of [
      ['--import', 'frameworks/triage-agents.mjs'],
      ['--require', 'fixtures/frameworks/triage-agents.cjs'],
    ] as const) {
      it(`OpenAI Agents SDK, ${flag}: triage → handoff → weather agent → tool, one trace, each call priced once`, async () => {
        const { code, stdout, stderr, spans } = await traced(flag, app);
        expect(code, stderr).toBe(0);
        expect(stdout).toContain('ANSWER Simulated forecast');
        expect(sim.calls).toBe(3);
        expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);

        const workflow = one(spans, 'invoke_workflow Agent workflow');
        expect(workflow.parentSpanId ?? '').toBe('');
        const triage = one(spans, 'invoke_agent triage');
        const weather = one(spans, 'invoke_agent weather_agent');
        expect(parentOf(spans, triage)).toBe(workflow);
        expect(parentOf(spans, weather)).toBe(workflow);
        // The handoff: an event on the source, a link from the target to it.
        expect(triage.events?.map((e) => e.name)).toContain('agent.handoff');
        expect(weather.links?.map((l) => l.spanId)).toEqual([triage.spanId]);

        const chats = expectChatsPricedOnce(spans, sim.calls, '@agentrace/instrumentation/openai-agents');
        expect(chats.filter((c) => parentOf(spans, c) === triage)).toHaveLength(1);
        expect(chats.filter((c) => parentOf(spans, c) === weather)).toHaveLength(2);
        const tool = one(spans, 'execute_tool get_weather');
        expect(parentOf(spans, tool)).toBe(weather);
        const cost = (s: DecodedSpan) => s.attrs['agentrace.usage.cost'] as number;
        expect(cost(workflow)).toBeCloseTo(
          chats.reduce((sum, c) => sum + cost(c), 0),
          12,
        );
      }, 60_000);
    }

    for (const [flag, app] of [
      ['--import', 'frameworks/react-langgraph.mjs'],
      ['--require', 'fixtures/frameworks/react-langgraph.cjs'],
    ] as const) {
      it(`LangGraph ReAct agent, ${flag}: invoke_agent → chat / execute_tool, one trace, each call priced once`, async () => {
        const { code, stdout, stderr, spans } = await traced(flag, app);
        expect(code, stderr).toBe(0);
        expect(stdout).toContain('ANSWER Simulated forecast');
        expect(sim.calls).toBe(2);
        expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
        const agent = one(spans, 'invoke_agent weather_agent');
        expect(agent.parentSpanId ?? '').toBe('');
        const chats = expectChatsPricedOnce(spans, sim.calls, '@agentrace/instrumentation/langchain');
        for (const chat of chats) expect(parentOf(spans, chat)).toBe(agent);
        expect(parentOf(spans, one(spans, 'execute_tool get_weather'))).toBe(agent);
        // Plumbing chain runs are folded: the agent, its two model calls and its tool.
        expect(spans).toHaveLength(4);
      }, 60_000);
    }

    it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=langchain: the app runs, the openai client layer records its calls', async () => {
      const { code, stderr, spans } = await traced('--import', 'frameworks/react-langgraph.mjs', {
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'langchain',
      });
      expect(code, stderr).toBe(0);
      expect(spans.filter((s) => s.name.startsWith('invoke_agent'))).toEqual([]);
      expect(spans.filter((s) => s.scope === '@agentrace/instrumentation/openai')).toHaveLength(sim.calls);
    }, 60_000);
  },
);
