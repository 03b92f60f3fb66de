import { semconv as sc } from '@agentrace/core';
import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';

// Request parameters core's semconv module does not carry yet (they are only set by this instrumentation).
const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The `gen_ai.request.*` attributes of an OpenAI request body (Chat Completions, Responses or Embeddings). */
export function openAIRequestAttributes(body: unknown): Attributes {
  const out: Attributes = {};
  if (typeof body !== 'object' || body === null) return out;
  const b = body as Record<string, unknown>;
  const maxTokens = num(b.max_completion_tokens) ?? num(b.max_tokens) ?? num(b.max_output_tokens);
  if (maxTokens !== undefined) out[sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = num(b.temperature);
  if (temperature !== undefined) out[sc.ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  const topP = num(b.top_p);
  if (topP !== undefined) out[sc.ATTR_GEN_AI_REQUEST_TOP_P] = topP;
  const seed = num(b.seed);
  if (seed !== undefined) out[ATTR_GEN_AI_REQUEST_SEED] = seed;
  const fp = num(b.frequency_penalty);
  if (fp !== undefined) out[ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY] = fp;
  const pp = num(b.presence_penalty);
  if (pp !== undefined) out[ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY] = pp;
  const n = num(b.n);
  if (n !== undefined && n !== 1) out[ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
  if (typeof b.stop === 'string') out[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [b.stop];
  else if (Array.isArray(b.stop)) {
    const stops = b.stop.filter((s): s is string => typeof s === 'string');
    if (stops.length) out[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stops;
  }
  if (b.stream === true) out[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return out;
}

/** `server.address` / `server.port` of the client's `baseURL` (the port only when it is not the scheme's default). */
export function serverAttributes(baseURL: unknown): Attributes {
  if (typeof baseURL !== 'string') return {};
  try {
    const url = new URL(baseURL);
    const out: Attributes = { [ATTR_SERVER_ADDRESS]: url.hostname };
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    out[ATTR_SERVER_PORT] = port;
    return out;
  } catch {
    return {};
  }
}
