// A LangGraph.js ReAct agent, as written with no tracing in mind: one model, one tool. `pnpm
// example:langgraph` runs it traced, unchanged, against a simulated endpoint.
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';

const getWeather = tool(async ({ city }) => `12°C and cloudy in ${city}`, {
  name: 'get_weather',
  description: 'The weather in a city today',
  schema: z.object({ city: z.string() }),
});

const agent = createReactAgent({
  llm: new ChatOpenAI({ model: 'gpt-4o-mini' }),
  tools: [getWeather],
  name: 'weather_agent',
});

const result = await agent.invoke({
  messages: [{ role: 'user', content: 'What should I wear in Oslo today?' }],
});
console.log(`ANSWER ${result.messages.at(-1)?.content}`);
