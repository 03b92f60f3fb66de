/**
 * Response bodies laid out as each provider documents them (API references, late 2026), with realistic
 * counts. The AI SDK results are what `ai` builds (checked against `ai` 5, 6 and 7 with their mock models).
 */

/** OpenAI Chat Completions, prompt caching hit (API reference layout). */
export const OPENAI_CHAT_CACHED = {
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'The boardwalk runs through a meadow under a blue sky.',
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 2006,
    completion_tokens: 300,
    total_tokens: 2306,
    prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_fc9f1d7035',
};

/** OpenAI Chat Completions from a reasoning model that called two tools. */
export const OPENAI_CHAT_REASONING = {
  id: 'chatcmpl-C1a2b3c4d5e6f7g8h9i0',
  object: 'chat.completion',
  created: 1761000000,
  model: 'o4-mini-2025-04-16',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"q":"otel"}' } },
        ],
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
    {
      index: 1,
      message: { role: 'assistant', content: 'Done.', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'length',
    },
  ],
  usage: {
    prompt_tokens: 512,
    completion_tokens: 1400,
    total_tokens: 1912,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 1152,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: null,
};

/** The last chunk of a stream run with `stream_options: { include_usage: true }`: no choices, the usage. */
export const OPENAI_CHAT_USAGE_CHUNK = {
  id: 'chatcmpl-123',
  object: 'chat.completion.chunk',
  created: 1694268190,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_44709d6fcb',
  choices: [],
  usage: {
    prompt_tokens: 9,
    completion_tokens: 12,
    total_tokens: 21,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
};

/** OpenAI Responses API, completed (API reference layout). */
export const OPENAI_RESPONSE = {
  id: 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41',
  object: 'response',
  created_at: 1741476777,
  status: 'completed',
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  model: 'gpt-4.1-2025-04-14',
  output: [
    {
      type: 'message',
      id: 'msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'A scenic meadow with a boardwalk.', annotations: [] }],
    },
  ],
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: 1,
  text: { format: { type: 'text' } },
  tool_choice: 'auto',
  tools: [],
  top_p: 1,
  truncation: 'disabled',
  usage: {
    input_tokens: 5328,
    input_tokens_details: { cached_tokens: 4864 },
    output_tokens: 52,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 5380,
  },
  user: null,
  metadata: {},
};

/** OpenAI Responses API from a reasoning model, cut off by `max_output_tokens`. */
export const OPENAI_RESPONSE_INCOMPLETE = {
  ...OPENAI_RESPONSE,
  id: 'resp_0a1b2c3d4e5f',
  status: 'incomplete',
  incomplete_details: { reason: 'max_output_tokens' },
  max_output_tokens: 2048,
  model: 'o4-mini-2025-04-16',
  output: [{ type: 'reasoning', id: 'rs_0a1b2c', summary: [] }],
  reasoning: { effort: 'high', summary: null },
  usage: {
    input_tokens: 812,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 2048,
    output_tokens_details: { reasoning_tokens: 2048 },
    total_tokens: 2860,
  },
};

/** Anthropic Messages, a prompt-cache hit and a write with both TTLs (API reference layout). */
export const ANTHROPIC_MESSAGE_CACHED = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Oslo' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 50,
    cache_creation_input_tokens: 556,
    cache_read_input_tokens: 1200,
    cache_creation: { ephemeral_5m_input_tokens: 456, ephemeral_1h_input_tokens: 100 },
    output_tokens: 120,
    service_tier: 'standard',
    server_tool_use: null,
  },
};

/** Anthropic Messages, first call of a cached prompt (writes only, older layout without `cache_creation`). */
export const ANTHROPIC_MESSAGE_WRITE = {
  id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content: [{ type: 'text', text: 'The essay argues that…' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 21,
    cache_creation_input_tokens: 188086,
    cache_read_input_tokens: 0,
    output_tokens: 393,
  },
};

/** Gemini API `generateContent` with thinking and an implicit-cache hit (REST reference layout). */
export const GEMINI_RESPONSE = {
  candidates: [
    {
      content: { parts: [{ text: 'Photosynthesis turns light into chemical energy.' }], role: 'model' },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: 12500,
    candidatesTokenCount: 300,
    totalTokenCount: 12950,
    cachedContentTokenCount: 12000,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12500 }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 12000 }],
    thoughtsTokenCount: 150,
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'mDJmaNb6Dd3X1PIP5LmIsAM',
};

/** Vertex AI `generateContent` with a grounding tool (REST reference layout: `createTime`, `trafficType`). */
export const VERTEX_RESPONSE = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Oslo is 12°C and cloudy.' }] },
      finishReason: 'MAX_TOKENS',
      avgLogprobs: -0.21,
    },
  ],
  usageMetadata: {
    promptTokenCount: 40,
    candidatesTokenCount: 64,
    toolUsePromptTokenCount: 910,
    totalTokenCount: 1014,
    trafficType: 'ON_DEMAND',
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 40 }],
    candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 64 }],
  },
  modelVersion: 'gemini-2.5-pro',
  createTime: '2026-03-04T10:11:12.345678Z',
  responseId: 'sAFnaPWcLs3r2fMP8Oa3-Ac',
};

/** Bedrock Converse through the AWS SDK v3, with a prompt-cache read (API reference layout). */
export const BEDROCK_CONVERSE = {
  $metadata: {
    httpStatusCode: 200,
    requestId: '3f5b6c1e-8d2a-4c7b-9e0f-1a2b3c4d5e6f',
    attempts: 1,
    totalRetryDelay: 0,
  },
  output: { message: { role: 'assistant', content: [{ text: 'Here is the summary…' }] } },
  stopReason: 'end_turn',
  usage: {
    inputTokens: 44,
    outputTokens: 210,
    totalTokens: 4954,
    cacheReadInputTokens: 3700,
    cacheWriteInputTokens: 1000,
  },
  metrics: { latencyMs: 1275 },
};

/** Bedrock Converse REST JSON (no `$metadata`), no cache. */
export const BEDROCK_CONVERSE_REST = {
  output: { message: { role: 'assistant', content: [{ text: 'Hello' }] } },
  stopReason: 'max_tokens',
  usage: { inputTokens: 30, outputTokens: 628, totalTokens: 658 },
  metrics: { latencyMs: 980 },
};

/**
 * `ai` 6/7 `generateText` result over an Anthropic model, two steps (a tool call, then the answer). A class
 * instance in the real library, with the members as getters; the members here are what it exposes.
 */
export const AI_SDK_RESULT_V6 = {
  text: 'It is 12°C in Oslo.',
  content: [{ type: 'text', text: 'It is 12°C in Oslo.' }],
  finishReason: 'stop',
  rawFinishReason: 'end_turn',
  usage: {
    inputTokens: 2330,
    inputTokenDetails: { noCacheTokens: 30, cacheReadTokens: 2300, cacheWriteTokens: 0 },
    outputTokens: 40,
    outputTokenDetails: { textTokens: 40, reasoningTokens: undefined },
    totalTokens: 2370,
    cachedInputTokens: 2300,
  },
  totalUsage: {
    inputTokens: 4650,
    inputTokenDetails: { noCacheTokens: 50, cacheReadTokens: 2300, cacheWriteTokens: 2300 },
    outputTokens: 160,
    outputTokenDetails: { textTokens: 100, reasoningTokens: 60 },
    totalTokens: 4810,
    reasoningTokens: 60,
    cachedInputTokens: 2300,
  },
  response: {
    id: 'msg_01Hx5pPu4AqSrn2EgjxyqnVt',
    timestamp: new Date('2026-03-04T10:11:12Z'),
    modelId: 'claude-sonnet-4-5-20250929',
    headers: { 'content-type': 'application/json' },
    messages: [],
  },
  providerMetadata: { anthropic: { cacheCreationInputTokens: 0 } },
  steps: [
    { model: { provider: 'anthropic.messages', modelId: 'claude-sonnet-4-5' }, finishReason: 'tool-calls' },
    { model: { provider: 'anthropic.messages', modelId: 'claude-sonnet-4-5' }, finishReason: 'stop' },
  ],
  warnings: [],
};

/** `ai` 5 `generateText` result over Anthropic: flat usage, input WITHOUT cache, cache writes in metadata. */
export const AI_SDK_RESULT_V5_ANTHROPIC = {
  text: 'Summary: …',
  content: [{ type: 'text', text: 'Summary: …' }],
  finishReason: 'stop',
  usage: { inputTokens: 21, outputTokens: 393, totalTokens: 414, cachedInputTokens: 1800 },
  totalUsage: { inputTokens: 42, outputTokens: 500, totalTokens: 542, cachedInputTokens: 1800 },
  response: {
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
    timestamp: new Date('2026-03-04T10:11:12Z'),
    modelId: 'claude-haiku-4-5-20251001',
    messages: [],
  },
  providerMetadata: { anthropic: { cacheCreationInputTokens: 0, usage: { input_tokens: 21 } } },
  steps: [
    { finishReason: 'tool-calls', providerMetadata: { anthropic: { cacheCreationInputTokens: 1800 } } },
    { finishReason: 'stop', providerMetadata: { anthropic: { cacheCreationInputTokens: 0 } } },
  ],
  warnings: [],
};

/** `ai` 5 `generateObject` result over Gemini: thoughts NOT in `outputTokens`, cached tokens inside input. */
export const AI_SDK_OBJECT_V5_GOOGLE = {
  object: { city: 'Oslo', temperature: 12 },
  finishReason: 'stop',
  usage: {
    inputTokens: 12500,
    outputTokens: 300,
    totalTokens: 12950,
    reasoningTokens: 150,
    cachedInputTokens: 12000,
  },
  response: { id: 'aitxt-9f8e7d', timestamp: new Date('2026-03-04T10:11:12Z'), modelId: 'gemini-2.5-flash' },
  providerMetadata: { google: { groundingMetadata: null, safetyRatings: null } },
  warnings: [],
};

/** A language model's `doGenerate` result (`LanguageModelV3`/`V4`), what a middleware's `wrapGenerate` sees. */
export const AI_SDK_DO_GENERATE = {
  content: [{ type: 'text', text: 'Hello' }],
  finishReason: { unified: 'stop', raw: 'end_turn' },
  usage: {
    inputTokens: { total: 2121, noCache: 21, cacheRead: 1800, cacheWrite: 300 },
    outputTokens: { total: 393, text: 393, reasoning: undefined },
    raw: { input_tokens: 21, cache_read_input_tokens: 1800, cache_creation_input_tokens: 300 },
  },
  response: { id: 'msg_01', modelId: 'claude-sonnet-4-5-20250929', timestamp: new Date(0) },
  providerMetadata: { anthropic: { cacheCreationInputTokens: 300 } },
  warnings: [],
};
