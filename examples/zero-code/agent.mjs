// An agent loop on the plain OpenAI client, with no agentrace in it: call the model, run the tools it asks for,
// feed the results back, stop when it answers. Traced and costed with no code change by starting it as
//
//   node --import @agentrace/instrumentation/register zero-code/agent.mjs     (from examples/; or `pnpm example:zero-code`)
//
// With no OTEL_EXPORTER_OTLP_ENDPOINT the trace tree (each call with its tokens and USD cost) is printed at exit;
// with one, spans and metrics go to that collector. Without OPENAI_API_KEY it talks to a SIMULATED endpoint on loopback (not a model).
import OpenAI from 'openai';
import { startSimulatedOpenAI } from './simulated-openai.mjs';

const simulated = process.env.OPENAI_API_KEY ? undefined : await startSimulatedOpenAI();
if (simulated)
  console.error(
    `(no OPENAI_API_KEY: answers come from a simulated OpenAI endpoint at ${simulated.url}, not a model)`,
  );
const client = simulated ? new OpenAI({ baseURL: simulated.url, apiKey: 'simulated' }) : new OpenAI();

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const getWeather = ({ city }) => ({ city, temperatureC: 12, conditions: 'cloudy', rainChance: 0.6 });

const messages = [{ role: 'user', content: 'What should I wear in Oslo today?' }];
for (let step = 0; step < 5; step++) {
  const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
  const message = completion.choices[0].message;
  messages.push(message);
  if (!message.tool_calls?.length) {
    console.log(message.content);
    break;
  }
  for (const call of message.tool_calls) {
    const result = getWeather(JSON.parse(call.function.arguments));
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
  }
}

await simulated?.close();
