// An OpenAI Agents SDK app, as written with no tracing in mind: a triage agent hands off to a weather agent,
// which calls a tool. `pnpm example:openai-agents` runs it traced, unchanged, against a simulated endpoint.
import { Agent, run, tool } from '@openai/agents';
import { z } from 'zod';

const getWeather = tool({
  name: 'get_weather',
  description: 'The weather in a city today',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `12°C and cloudy in ${city}`,
});

const weatherAgent = new Agent({
  name: 'weather_agent',
  instructions: 'Answer questions about the weather; call get_weather for the city.',
  tools: [getWeather],
  model: 'gpt-4.1',
});

const triage = new Agent({
  name: 'triage',
  instructions: 'Hand weather questions off to the weather agent.',
  handoffs: [weatherAgent],
  model: 'gpt-4.1',
});

const result = await run(triage, 'What should I wear in Oslo today?');
console.log(`ANSWER ${result.finalOutput}`);
