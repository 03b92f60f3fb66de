import { semconv as sc } from '@agentrace/core';
import type { Attributes } from '@opentelemetry/api';
import { requestAttributes } from '../clients/client-call.js';

/** Which API a patched method calls: it decides the operation name and how the response is read. */
export const OpenAIOperation = {
  CHAT: sc.GEN_AI_OPERATION_NAME_VALUE_CHAT,
  EMBEDDINGS: sc.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
} as const;
/** An {@link OpenAIOperation} value. */
export type OpenAIOperation = (typeof OpenAIOperation)[keyof typeof OpenAIOperation];

// Chat Completions and Responses parameters, by the attribute each goes to. Where two name the same limit,
// the later key wins: `max_completion_tokens` replaced `max_tokens`, `max_output_tokens` is the Responses one.
const CHAT_PARAMS: Readonly<Record<string, string>> = {
  max_tokens: sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  max_completion_tokens: sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  max_output_tokens: sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  temperature: sc.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  top_p: sc.ATTR_GEN_AI_REQUEST_TOP_P,
  seed: sc.ATTR_GEN_AI_REQUEST_SEED,
  frequency_penalty: sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  presence_penalty: sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  stop: sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
};

const EMBEDDINGS_PARAMS: Readonly<Record<string, string>> = {
  encoding_format: sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
};

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

/**
 * `gen_ai.output.type` of what the request asks for: Chat Completions' `response_format.type` or the
 * Responses API's `text.format.type` (`json_schema` / `json_object` → `json`, `text` → `text`), and `speech`
 * when Chat Completions asks for audio. Unset when the request names no output format.
 */
function outputType(params: Record<string, unknown>): string | undefined {
  const modalities = params.modalities;
  if (Array.isArray(modalities) && modalities.includes('audio')) return sc.GEN_AI_OUTPUT_TYPE_VALUE_SPEECH;
  const format = record(params.response_format)?.type ?? record(record(params.text)?.format)?.type;
  if (format === 'json_schema' || format === 'json_object') return sc.GEN_AI_OUTPUT_TYPE_VALUE_JSON;
  if (format === 'text') return sc.GEN_AI_OUTPUT_TYPE_VALUE_TEXT;
  return undefined;
}

/** The `gen_ai.request.*` (and `gen_ai.output.type`) attributes of an OpenAI request body. */
export function openAIRequestAttributes(op: OpenAIOperation, params: Record<string, unknown>): Attributes {
  if (op === OpenAIOperation.EMBEDDINGS) return requestAttributes(params, EMBEDDINGS_PARAMS);
  const out = requestAttributes(params, CHAT_PARAMS);
  const n = params.n;
  if (typeof n === 'number' && Number.isInteger(n) && n !== 1) out[sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
  const type = outputType(params);
  if (type !== undefined) out[sc.ATTR_GEN_AI_OUTPUT_TYPE] = type;
  if (params.stream === true) out[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return out;
}
