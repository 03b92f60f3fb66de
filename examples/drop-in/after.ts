/**
 * The agent loop of before.ts with agentrace: the same loop, a few lines changed (diff the two files). Each
 * model call is now a turn (a `chat gpt-4o` span with tokens, cost, response id and finish reason, read from the
 * OpenAI response by `usage: 'auto'`), each tool call an `execute_tool` span, the whole run an `invoke_agent`
 * span with the session's breaker, iteration cap and budget around it. With no collector configured the trace
 * tree and a cost table are printed to the terminal; set OTEL_EXPORTER_OTLP_ENDPOINT to send them to one.
 *
 * It talks to a SIMULATED OpenAI endpoint on loopback (fake-openai-server.ts), so it runs without an API key.
 * Run from the repository root: `npx -y pnpm@10.34.9 example:drop-in`.
 */
import { AgentSession } from '@agentrace/core';
import { setupTelemetry } from '@agentrace/otel-exporter';
import OpenAI from 'openai';
import { startFakeOpenAI } from './fake-openai-server.js';
import { getWeather, tools } from './weather-tool.js';

const telemetry = setupTelemetry({ serviceName: 'weather-agent' });
const simulated = await startFakeOpenAI(); // for the real API: drop this and the baseURL/apiKey below
const client = new OpenAI({ baseURL: simulated.url, apiKey: 'simulated' });

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'user', content: 'What should I wear in Oslo today?' },
];

const agent = new AgentSession({ role: 'weather-agent', phase: 'chat', model: 'gpt-4o', budgetUsd: 0.05 });
await agent.run(async (session) => {
  for (let step = 0; step < 5; step++) {
    const { result: completion } = await session.runTurn(
      (signal) => client.chat.completions.create({ model: 'gpt-4o', messages, tools }, { signal }),
      { usage: 'auto' },
    );
    const message = completion.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls?.length) {
      console.log(message.content);
      break;
    }
    for (const call of message.tool_calls) {
      if (call.type !== 'function') continue;
      const result = await session.runTool(call.function.name, () =>
        getWeather(JSON.parse(call.function.arguments)),
      );
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
    }
  }
});

await simulated.close();
await telemetry.shutdown();
