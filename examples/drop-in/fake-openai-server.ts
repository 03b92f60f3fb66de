/**
 * A SIMULATED OpenAI Chat Completions endpoint on loopback, so the drop-in examples run without an API key
 * and without network. It is not a model: it follows a fixed script (ask for the `get_weather` tool when it is
 * offered and not yet answered, then give a canned answer) and makes up token counts from the length of the
 * text (about four characters a token). It speaks the wire format of the real API — JSON bodies, and
 * server-sent events with a final usage chunk when asked for `stream_options: { include_usage: true }` — so
 * the real `openai` and `@ai-sdk/openai` clients talk to it unchanged.
 *
 * Run it on its own to point any OpenAI client at it: `npx tsx examples/drop-in/fake-openai-server.ts`, then
 * `OPENAI_BASE_URL=http://127.0.0.1:4010/v1 OPENAI_API_KEY=simulated`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** A running simulated endpoint. */
export interface FakeOpenAI {
  /** The base URL to give the client, ending in `/v1`. */
  readonly url: string;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

interface ChatRequest {
  model?: string;
  messages?: Array<{ role?: string; content?: unknown }>;
  tools?: Array<{ function?: { name?: string } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const ANSWER = 'It is 12°C and cloudy in Oslo today: wear a warm jacket and bring an umbrella.';

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** What the script says next: a tool call while the weather tool is offered and unanswered, else the answer. */
function reply(request: ChatRequest) {
  const messages = request.messages ?? [];
  const offered = (request.tools ?? []).some((t) => t.function?.name === 'get_weather');
  const answered = messages.some((m) => m.role === 'tool');
  const promptTokens =
    tokens(JSON.stringify(messages)) + (request.tools ? tokens(JSON.stringify(request.tools)) : 0);
  if (offered && !answered) {
    const toolCall = {
      id: `call_${messages.length}`,
      type: 'function' as const,
      function: { name: 'get_weather', arguments: JSON.stringify({ city: 'Oslo' }) },
    };
    return {
      message: { role: 'assistant' as const, content: null, tool_calls: [toolCall] },
      finishReason: 'tool_calls',
      usage: { prompt: promptTokens, completion: tokens(toolCall.function.arguments) + 8 },
    };
  }
  return {
    message: { role: 'assistant' as const, content: ANSWER, refusal: null },
    finishReason: 'stop',
    usage: { prompt: promptTokens, completion: tokens(ANSWER) },
  };
}

function usageBody(u: { prompt: number; completion: number }) {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

async function readJson(req: IncomingMessage): Promise<ChatRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_sim_${Date.now()}` });
  res.end(JSON.stringify(body));
}

function stream(res: ServerResponse, request: ChatRequest, id: string, created: number): void {
  const { message, finishReason, usage } = reply(request);
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model: request.model,
    system_fingerprint: 'fp_simulated',
  };
  const includeUsage = request.stream_options?.include_usage === true;
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage && { usage: null }),
  });
  const frames: object[] = [chunk({ role: 'assistant', content: '' }, null)];
  if (message.content === null) {
    const [call] = message.tool_calls;
    frames.push(chunk({ tool_calls: [{ index: 0, ...call }] }, null));
  } else {
    for (const word of message.content.split(/(?<= )/)) frames.push(chunk({ content: word }, null));
  }
  frames.push(chunk({}, finishReason));
  if (includeUsage) frames.push({ ...base, choices: [], usage: usageBody(usage) });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const frame of frames) res.write(`data: ${JSON.stringify(frame)}\n\n`);
  res.end('data: [DONE]\n\n');
}

/** Starts the simulated endpoint on a loopback port (a free one by default). */
export async function startFakeOpenAI(opts: { port?: number } = {}): Promise<FakeOpenAI> {
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      send(res, 404, {
        error: {
          message: `simulated server: no route ${req.method} ${req.url}`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      return;
    }
    readJson(req).then(
      (request) => {
        requests++;
        const id = `chatcmpl-sim${requests}`;
        const created = Math.floor(Date.now() / 1000);
        if (request.stream) {
          stream(res, request, id, created);
          return;
        }
        const { message, finishReason, usage } = reply(request);
        send(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: request.model,
          choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
          usage: usageBody(usage),
          system_fingerprint: 'fp_simulated',
        });
      },
      () =>
        send(res, 400, {
          error: {
            message: 'simulated server: the body is not JSON',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        }),
    );
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fake = await startFakeOpenAI({ port: Number(process.env.PORT ?? 4010) });
  console.log(`Simulated OpenAI endpoint (not a model) at ${fake.url}; Ctrl-C to stop.`);
}
