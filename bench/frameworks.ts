/**
 * Overhead of agentrace's framework layers per agent step: the same OpenAI Agents SDK run (a triage agent hands
 * off to a weather agent that calls a tool: 3 model calls + 1 tool call = 4 steps) and the same LangGraph ReAct
 * run (2 model calls + 1 tool call = 3 steps), each with no tracing processor / handler and with agentrace's,
 * against a registered OpenTelemetry SDK (BatchSpanProcessor into memory). The model is the SIMULATED endpoint
 * of examples/frameworks, answered in process through the client's `fetch` so the network is not measured.
 *
 * The variants take turns run by run (in a rotating order) so machine load falls on all of them alike; the
 * figure is the median over rounds of traced ÷ untraced run time, and the per-step difference. Node >= 22 (the
 * framework packages need it). `FRAMEWORK_RUNS` (default 40) runs per variant and round, `BENCH_ROUNDS`
 * (default 5). Run: `pnpm run build && cd bench && pnpm run bench:frameworks`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AgentraceCallbackHandler } from '@agentrace/instrumentation/langchain';
import { AgentraceTracingProcessor } from '@agentrace/instrumentation/openai-agents';
import { type Body, simulatedAnswer } from '../examples/frameworks/simulated-openai.js';
import { environment, fullGc, ratio, table } from './report.js';
import { installSdk } from './sdk.js';

const RUNS = Number(process.env.FRAMEWORK_RUNS ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = 10;

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error('bench/frameworks.ts needs Node >= 22 (@openai/agents and @langchain/openai declare it)');
  process.exit(1);
}

/** The simulated endpoint as a `fetch`: the scripted JSON answer, no socket. */
const simulatedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as Body;
  const answer = simulatedAnswer(new URL(url).pathname, body);
  return new Response(JSON.stringify(answer ?? { error: { message: 'simulated: no route' } }), {
    status: answer ? 200 : 404,
    headers: { 'content-type': 'application/json' },
  });
};

interface Variant {
  readonly name: string;
  /** Puts the framework in this variant's state (processor list, callbacks, context storage). */
  readonly enter: () => void;
  readonly run: () => Promise<unknown>;
}

interface Framework {
  readonly name: string;
  readonly steps: number;
  readonly base: Variant;
  /** The framework's own cost of having a listener at all: a processor / handler that does nothing. */
  readonly noop: Variant;
  readonly traced: Variant;
}

async function mean(variant: Variant, runs: number): Promise<number> {
  variant.enter();
  const started = performance.now();
  for (let i = 0; i < runs; i++) await variant.run();
  return (performance.now() - started) / runs;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function agentsFramework(): Promise<Framework> {
  const agents = await import('@openai/agents');
  const { z } = await import('zod');
  const { default: OpenAI } = await import('openai');
  agents.setTracingDisabled(false);
  agents.setDefaultOpenAIClient(
    new OpenAI({
      apiKey: 'simulated',
      baseURL: 'http://simulated.invalid/v1',
      fetch: simulatedFetch,
    }) as never,
  );
  const getWeather = agents.tool({
    name: 'get_weather',
    description: 'The weather in a city today',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `12°C and cloudy in ${city}`,
  });
  const weather = new agents.Agent({
    name: 'weather_agent',
    instructions: 'w',
    tools: [getWeather],
    model: 'gpt-4.1',
  });
  const triage = new agents.Agent({
    name: 'triage',
    instructions: 't',
    handoffs: [weather],
    model: 'gpt-4.1',
  });
  const processor = new AgentraceTracingProcessor();
  const bridged = processor.contextStorage(new AsyncLocalStorage());
  const run = () => agents.run(triage, 'What should I wear in Oslo today?');
  const noop = {
    start() {},
    async onTraceStart() {},
    async onTraceEnd() {},
    async onSpanStart() {},
    async onSpanEnd() {},
    async shutdown() {},
    async forceFlush() {},
  };
  return {
    name: 'OpenAI Agents SDK 0.20.0 (triage → handoff → agent → tool)',
    steps: 4,
    base: {
      name: 'no tracing processor',
      enter: () => {
        agents.setTraceProcessors([]);
        agents.setTracingContextStorage(undefined);
      },
      run,
    },
    noop: {
      name: 'no-op processor',
      enter: () => {
        agents.setTraceProcessors([noop as never]);
        agents.setTracingContextStorage(undefined);
      },
      run,
    },
    traced: {
      name: 'agentrace processor',
      enter: () => {
        agents.setTraceProcessors([processor as never]);
        agents.setTracingContextStorage(bridged as never);
      },
      run,
    },
  };
}

async function langGraphFramework(): Promise<Framework> {
  const { ChatOpenAI } = await import('@langchain/openai');
  const { tool } = await import('@langchain/core/tools');
  const { createReactAgent } = await import('@langchain/langgraph/prebuilt');
  const { z } = await import('zod');
  const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base');
  // A handler with no callbacks, awaited like agentrace's: what LangChain's callback dispatch costs on its own.
  const noopHandler = BaseCallbackHandler.fromMethods({});
  noopHandler.awaitHandlers = true;
  const getWeather = tool(async ({ city }: { city: string }) => `12°C and cloudy in ${city}`, {
    name: 'get_weather',
    description: 'The weather in a city today',
    schema: z.object({ city: z.string() }),
  });
  const llm = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: 'simulated',
    configuration: { baseURL: 'http://simulated.invalid/v1', fetch: simulatedFetch },
  });
  const agent = createReactAgent({ llm, tools: [getWeather], name: 'weather_agent' });
  const handler = new AgentraceCallbackHandler();
  const slot = Symbol.for('ls:tracing_async_local_storage');
  const holder = globalThis as Record<symbol, unknown>;
  const original = holder[slot] ?? new AsyncLocalStorage();
  const bridged = handler.contextStorage(original as AsyncLocalStorage<Record<PropertyKey, unknown>>);
  const input = { messages: [{ role: 'user', content: 'What should I wear in Oslo today?' }] };
  return {
    name: 'LangGraph.js 1.7.3 createReactAgent (ChatOpenAI, one tool)',
    steps: 3,
    base: {
      name: 'no callback handler',
      enter: () => {
        holder[slot] = original;
      },
      run: () => agent.invoke(input),
    },
    noop: {
      name: 'no-op handler',
      enter: () => {
        holder[slot] = original;
      },
      run: () => agent.invoke(input, { callbacks: [noopHandler] }),
    },
    traced: {
      name: 'agentrace handler',
      enter: () => {
        holder[slot] = bridged;
      },
      run: () => agent.invoke(input, { callbacks: [handler] }),
    },
  };
}

async function measure(fw: Framework, drain: () => void): Promise<string[]> {
  const variants = [fw.base, fw.noop, fw.traced];
  for (const v of variants) await mean(v, WARMUP);
  drain();
  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Run by run, the variants take turns (in a rotating order), so a burst of load falls on all three.
    const total = new Map<Variant, number>(variants.map((v) => [v, 0]));
    fullGc();
    for (let i = 0; i < RUNS; i++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(i + k) % variants.length] as Variant;
        v.enter();
        const started = performance.now();
        await v.run();
        total.set(v, (total.get(v) as number) + performance.now() - started);
      }
    }
    for (const v of variants) times.get(v)?.push((total.get(v) as number) / RUNS);
    drain();
  }
  const base = times.get(fw.base) as number[];
  const noop = times.get(fw.noop) as number[];
  const traced = times.get(fw.traced) as number[];
  const ratios = base.map((b, i) => (traced[i] as number) / b);
  const overNoop = noop.map((n, i) => (traced[i] as number) / n);
  const perStepUs = base.map((b, i) => (((traced[i] as number) - b) / fw.steps) * 1000);
  return [
    fw.name,
    `${median(base).toFixed(2)} ms`,
    `${median(noop).toFixed(2)} ms`,
    `${median(traced).toFixed(2)} ms`,
    `${ratio(median(ratios), 1)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    ratio(median(overNoop), 1),
    `${median(perStepUs).toFixed(0)} µs`,
  ];
}

const sdk = installSdk();
console.log(environment());
console.log(`${RUNS} runs per variant and round, ${ROUNDS} rounds, variants taking turns run by run\n`);
const rows = [
  await measure(await agentsFramework(), sdk.drain),
  await measure(await langGraphFramework(), sdk.drain),
];
await sdk.flush();
console.log(
  table(
    [
      'framework run',
      'untraced / run',
      'no-op listener / run',
      'agentrace / run',
      'agentrace ÷ untraced (range)',
      'agentrace ÷ no-op',
      'overhead / step',
    ],
    rows,
  ),
);
console.log(`\nspans exported: ${sdk.exportedSpans()}`);
await sdk.shutdown();
