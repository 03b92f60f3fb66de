// A SIMULATED OpenAI Chat Completions endpoint on loopback, so the zero-code example runs without an API key and
// without network. It is not a model: it follows a fixed script (ask for the `get_weather` tool while it is
// offered and not yet answered, then give a canned answer) and makes up token counts from the length of the text
// (about four characters a token). It speaks the real API's wire format, so the real `openai` client talks to it
// unchanged.
import { createServer } from 'node:http';

const ANSWER = 'It is 12°C and cloudy in Oslo today: wear a warm jacket and bring an umbrella.';
const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));

function reply(request) {
  const messages = request.messages ?? [];
  const offered = (request.tools ?? []).some((t) => t.function?.name === 'get_weather');
  const answered = messages.some((m) => m.role === 'tool');
  const prompt =
    tokens(JSON.stringify(messages)) + (request.tools ? tokens(JSON.stringify(request.tools)) : 0);
  if (offered && !answered) {
    const args = JSON.stringify({ city: 'Oslo' });
    const call = {
      id: `call_${messages.length}`,
      type: 'function',
      function: { name: 'get_weather', arguments: args },
    };
    return {
      message: { role: 'assistant', content: null, tool_calls: [call] },
      finish: 'tool_calls',
      prompt,
      completion: tokens(args) + 8,
    };
  }
  return {
    message: { role: 'assistant', content: ANSWER, refusal: null },
    finish: 'stop',
    prompt,
    completion: tokens(ANSWER),
  };
}

/** Starts the simulated endpoint on a free loopback port; resolves with its base URL (ending in `/v1`) and `close()`. */
export async function startSimulatedOpenAI() {
  let served = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: `simulated server: no route ${req.method} ${req.url}`,
              type: 'invalid_request_error',
            },
          }),
        );
        return;
      }
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { message, finish, prompt, completion } = reply(request);
      served++;
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_sim_${served}` });
      res.end(
        JSON.stringify({
          id: `chatcmpl-sim${served}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: request.model,
          choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
          usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
          system_fingerprint: 'fp_simulated',
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
