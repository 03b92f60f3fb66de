/**
 * An agent loop on the OpenAI client, as many teams have one: call the model, run the tools it asks for,
 * feed the results back, stop when it answers. No agentrace yet: compare with after.ts.
 *
 * It talks to a SIMULATED OpenAI endpoint on loopback (fake-openai-server.ts), so it runs without an API key.
 * Run from the repository root: `npx tsx examples/drop-in/before.ts`.
 */
import OpenAI from 'openai';
import { startFakeOpenAI } from './fake-openai-server.js';
import { getWeather, tools } from './weather-tool.js';

const simulated = await startFakeOpenAI(); // for the real API: drop this and the baseURL/apiKey below
const client = new OpenAI({ baseURL: simulated.url, apiKey: 'simulated' });

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'user', content: 'What should I wear in Oslo today?' },
];

for (let step = 0; step < 5; step++) {
  const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
  const message = completion.choices[0]!.message;
  messages.push(message);
  if (!message.tool_calls?.length) {
    console.log(message.content);
    break;
  }
  for (const call of message.tool_calls) {
    if (call.type !== 'function') continue;
    const result = getWeather(JSON.parse(call.function.arguments));
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
  }
}

await simulated.close();
