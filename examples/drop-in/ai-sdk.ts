/**
 * The same weather agent on the Vercel AI SDK, with agentrace as a language-model middleware: wrap the model
 * once and every step of `streamText` (and `generateText`, `generateObject`) becomes a turn of the session —
 * a `chat gpt-4o` span with tokens and cost read from the stream's finish part, time to first chunk, the
 * session's breaker, iteration cap and budget around it. The agentrace lines are marked `// agentrace`.
 *
 * It talks to a SIMULATED OpenAI endpoint on loopback (fake-openai-server.ts), so it runs without an API key.
 * Run from the repository root: `npx -y pnpm@10.34.9 example:ai-sdk`.
 */
import { agentraceMiddleware } from '@agentrace/ai-sdk'; // agentrace
import { AgentSession } from '@agentrace/core'; // agentrace
import { setupTelemetry } from '@agentrace/otel-exporter'; // agentrace
import { createOpenAI } from '@ai-sdk/openai';
import { stepCountIs, streamText, tool, wrapLanguageModel } from 'ai';
import { z } from 'zod';
import { startFakeOpenAI } from './fake-openai-server.js';
import { getWeather } from './weather-tool.js';

const telemetry = setupTelemetry({ serviceName: 'weather-agent' }); // agentrace
const simulated = await startFakeOpenAI(); // for the real API: drop this and use `openai` from '@ai-sdk/openai'
const openai = createOpenAI({ baseURL: simulated.url, apiKey: 'simulated' });

const agent = new AgentSession({ role: 'weather-agent', phase: 'chat', budgetUsd: 0.05 }); // agentrace
await agent.run(async (session) => {
  // agentrace: the one change to the model; everything below is plain AI SDK code.
  const model = wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: agentraceMiddleware({ session }),
  });
  const result = streamText({
    model,
    prompt: 'What should I wear in Oslo today?',
    tools: {
      get_weather: tool({
        description: 'Current weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: (input) => session.runTool('get_weather', () => getWeather(input)), // agentrace: runTool
      }),
    },
    stopWhen: stepCountIs(5),
  });
  for await (const text of result.textStream) process.stdout.write(text);
  process.stdout.write('\n');
});

await simulated.close();
await telemetry.shutdown(); // agentrace
