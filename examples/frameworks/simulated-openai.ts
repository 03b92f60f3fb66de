/**
 * A SIMULATED OpenAI endpoint on loopback, so the framework examples run without an API key and without
 * network. It is not a model: it follows a fixed script and makes up token counts from the length of the text
 * (about four characters a token). It speaks the wire format of the real API — the Responses API
 * (`POST /v1/responses`, what the OpenAI Agents SDK calls) and Chat Completions (`POST /v1/chat/completions`,
 * what LangChain's `ChatOpenAI` calls) — so the real clients talk to it unchanged.
 *
 * The script: when a handoff tool (`transfer_to_…`) is offered and not yet called, call it; else when
 * `get_weather` is offered and not yet answered, call it for Oslo; else answer in words.
 *
 * Run on its own: `npx tsx examples/frameworks/simulated-openai.ts` (port 4011, or PORT), then point a client at
 * `OPENAI_BASE_URL=http://127.0.0.1:4011/v1 OPENAI_API_KEY=simulated`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export const ANSWER = 'Simulated forecast: 12°C and cloudy in Oslo, bring an umbrella.';

const tokens = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));

/** The next step of the script for the tool names offered and the tool calls already in the conversation. */
type Step =
  | { tool: string; args: Record<string, unknown>; text?: undefined }
  | { text: string; tool?: undefined };

function nextStep(offered: string[], called: string[]): Step {
  const handoff = offered.find((name) => name.startsWith('transfer_to_') && !called.includes(name));
  if (handoff) return { tool: handoff, args: {} };
  if (offered.includes('get_weather') && !called.includes('get_weather'))
    return { tool: 'get_weather', args: { city: 'Oslo' } };
  return { text: ANSWER };
}

let seq = 0;

// biome-ignore lint/suspicious/noExplicitAny: a request body of the wire format, read loosely as a server does
export type Body = Record<string, any>;

function responses(body: Body) {
  const input = Array.isArray(body.input) ? body.input : [];
  const offered = (body.tools ?? []).map((t: Body) => t.name).filter(Boolean);
  const called = input.filter((i: Body) => i?.type === 'function_call').map((i: Body) => i.name);
  const step = nextStep(offered, called);
  const id = ++seq;
  const output = step.tool
    ? [
        {
          type: 'function_call',
          id: `fc_sim_${id}`,
          call_id: `call_sim_${id}`,
          name: step.tool,
          arguments: JSON.stringify(step.args),
          status: 'completed',
        },
      ]
    : [
        {
          type: 'message',
          id: `msg_sim_${id}`,
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: step.text, annotations: [] }],
        },
      ];
  const inputTokens = tokens(input) + tokens(body.tools) + tokens(body.instructions);
  const outputTokens = tokens(output);
  return {
    id: `resp_sim_${id}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: body.model ?? 'gpt-4.1',
    output,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
}

function chatCompletions(body: Body) {
  const messages = body.messages ?? [];
  const offered = (body.tools ?? []).map((t: Body) => t.function?.name).filter(Boolean);
  const called = messages.flatMap((m: Body) => (m.tool_calls ?? []).map((c: Body) => c.function?.name));
  const step = nextStep(offered, called);
  const id = ++seq;
  const message = step.tool
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_sim_${id}`,
            type: 'function',
            function: { name: step.tool, arguments: JSON.stringify(step.args) },
          },
        ],
      }
    : { role: 'assistant', content: step.text, refusal: null };
  const promptTokens = tokens(messages) + tokens(body.tools);
  const completionTokens = tokens(message);
  return {
    id: `chatcmpl-sim-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'gpt-4o-mini',
    choices: [{ index: 0, message, finish_reason: step.tool ? 'tool_calls' : 'stop', logprobs: null }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/**
 * The scripted answer to one request (`/v1/responses` or `/v1/chat/completions`, not streamed), or undefined for
 * any other route: what the server answers, for an in-process `fetch` (the benchmark's, which leaves the network
 * out of what it measures).
 */
export function simulatedAnswer(path: string, body: Body): object | undefined {
  if (body.stream === true) return undefined;
  if (path.endsWith('/responses')) return responses(body);
  if (path.endsWith('/chat/completions')) return chatCompletions(body);
  return undefined;
}

/**
 * Starts the simulated endpoint on loopback (port 0: any free one). Resolves with its `/v1` base URL, the
 * number of model calls answered so far, and `close`.
 */
export interface SimulatedOpenAI {
  /** The base URL to give the client, ending in `/v1`. */
  readonly url: string;
  /** Model calls answered so far. */
  readonly calls: number;
  close(): Promise<void>;
}

export async function startSimulatedOpenAI(port = 0): Promise<SimulatedOpenAI> {
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Body = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        body = {};
      }
      const path = (req.url ?? '').split('?')[0];
      const answer =
        path === '/v1/responses'
          ? responses(body)
          : path === '/v1/chat/completions'
            ? chatCompletions(body)
            : undefined;
      if (!answer || body.stream === true) {
        res.writeHead(answer ? 400 : 404, { 'content-type': 'application/json', 'x-simulated': 'true' });
        res.end(
          JSON.stringify({
            error: {
              message: `simulated endpoint: ${answer ? 'streaming is not scripted' : `no route ${path}`}`,
            },
          }),
        );
        return;
      }
      calls++;
      res.writeHead(200, { 'content-type': 'application/json', 'x-simulated': 'true' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/v1`,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sim = await startSimulatedOpenAI(Number(process.env.PORT ?? 4011));
  console.log(`SIMULATED OpenAI endpoint (scripted replies, not a model) at ${sim.url}`);
}
