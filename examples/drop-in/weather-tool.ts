/** The agent's one tool, local and deterministic (a stand-in for a real weather API). */
import type OpenAI from 'openai';

export const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
    },
  },
];

export function getWeather({ city }: { city: string }): { city: string; celsius: number; sky: string } {
  return { city, celsius: 12, sky: 'cloudy' };
}
