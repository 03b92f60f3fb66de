/**
 * Streamed responses, event for event as each provider documents its stream (API references, late 2026), with
 * realistic counts. The AI SDK sequences are what `ai` 7 emits (checked with its mock models); the `ai` 5
 * language-model parts are what a V2 middleware saw.
 */

const CHAT_BASE = {
  id: 'chatcmpl-C9pStrEamX1a2b3c4',
  object: 'chat.completion.chunk',
  created: 1761000000,
  model: 'gpt-4o-2024-08-06',
  service_tier: 'default',
  system_fingerprint: 'fp_f33640a400',
} as const;

/** OpenAI Chat Completions with `stream_options: { include_usage: true }`: `usage: null` until the last chunk. */
export const OPENAI_CHAT_STREAM = [
  {
    ...CHAT_BASE,
    choices: [
      {
        index: 0,
        delta: { role: 'assistant', content: '', refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ],
    usage: null,
  },
  {
    ...CHAT_BASE,
    choices: [{ index: 0, delta: { content: 'Oslo is' }, logprobs: null, finish_reason: null }],
    usage: null,
  },
  {
    ...CHAT_BASE,
    choices: [{ index: 0, delta: { content: ' 12°C.' }, logprobs: null, finish_reason: null }],
    usage: null,
  },
  { ...CHAT_BASE, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
  {
    ...CHAT_BASE,
    choices: [],
    usage: {
      prompt_tokens: 1352,
      completion_tokens: 7,
      total_tokens: 1359,
      prompt_tokens_details: { cached_tokens: 1280, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  },
];

/** The same stream without `include_usage`: no chunk carries usage (the field is left out). */
export const OPENAI_CHAT_STREAM_NO_USAGE = OPENAI_CHAT_STREAM.slice(0, 4).map(
  ({ usage: _, ...chunk }) => chunk,
);

/** A tool call streamed with `n: 2`: each choice finishes on its own chunk. */
export const OPENAI_CHAT_STREAM_TWO_CHOICES = [
  {
    ...CHAT_BASE,
    model: 'o4-mini-2025-04-16',
    choices: [
      {
        index: 1,
        delta: { role: 'assistant', content: 'Done.' },
        logprobs: null,
        finish_reason: null,
      },
    ],
    usage: null,
  },
  {
    ...CHAT_BASE,
    model: 'o4-mini-2025-04-16',
    choices: [
      {
        index: 0,
        delta: {
          role: 'assistant',
          tool_calls: [
            {
              index: 0,
              id: 'call_1',
              type: 'function',
              function: { name: 'search', arguments: '{"q":"otel"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
    ],
    usage: null,
  },
  {
    ...CHAT_BASE,
    model: 'o4-mini-2025-04-16',
    choices: [{ index: 1, delta: {}, logprobs: null, finish_reason: 'length' }],
    usage: null,
  },
  {
    ...CHAT_BASE,
    model: 'o4-mini-2025-04-16',
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }],
    usage: null,
  },
  {
    ...CHAT_BASE,
    model: 'o4-mini-2025-04-16',
    choices: [],
    usage: {
      prompt_tokens: 512,
      completion_tokens: 1400,
      total_tokens: 1912,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 1152 },
    },
  },
];

const RESPONSE_BASE = {
  id: 'resp_68b1c2d3e4f5a6b7c8d9e0f1',
  object: 'response',
  created_at: 1761000000,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  model: 'gpt-4.1-2025-04-14',
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
  user: null,
  metadata: {},
} as const;

const RESPONSE_MESSAGE = {
  id: 'msg_68b1c2d3e4f5',
  type: 'message',
  status: 'completed',
  role: 'assistant',
  content: [{ type: 'output_text', text: 'Hi there!', annotations: [] }],
} as const;

/** OpenAI Responses API streaming events, `response.created` to `response.completed`. */
export const OPENAI_RESPONSES_STREAM = [
  {
    type: 'response.created',
    sequence_number: 0,
    response: { ...RESPONSE_BASE, status: 'in_progress', output: [], usage: null },
  },
  {
    type: 'response.in_progress',
    sequence_number: 1,
    response: { ...RESPONSE_BASE, status: 'in_progress', output: [], usage: null },
  },
  {
    type: 'response.output_item.added',
    sequence_number: 2,
    output_index: 0,
    item: { ...RESPONSE_MESSAGE, status: 'in_progress', content: [] },
  },
  {
    type: 'response.content_part.added',
    sequence_number: 3,
    item_id: RESPONSE_MESSAGE.id,
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text: '', annotations: [] },
  },
  {
    type: 'response.output_text.delta',
    sequence_number: 4,
    item_id: RESPONSE_MESSAGE.id,
    output_index: 0,
    content_index: 0,
    delta: 'Hi there!',
  },
  {
    type: 'response.output_text.done',
    sequence_number: 5,
    item_id: RESPONSE_MESSAGE.id,
    output_index: 0,
    content_index: 0,
    text: 'Hi there!',
  },
  { type: 'response.output_item.done', sequence_number: 6, output_index: 0, item: RESPONSE_MESSAGE },
  {
    type: 'response.completed',
    sequence_number: 7,
    response: {
      ...RESPONSE_BASE,
      status: 'completed',
      output: [RESPONSE_MESSAGE],
      usage: {
        input_tokens: 3210,
        input_tokens_details: { cached_tokens: 3072 },
        output_tokens: 4,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 3214,
      },
    },
  },
];

/** A Responses stream cut off by `max_output_tokens`: it ends with `response.incomplete`. */
export const OPENAI_RESPONSES_STREAM_INCOMPLETE = [
  OPENAI_RESPONSES_STREAM[0]!,
  {
    type: 'response.incomplete',
    sequence_number: 1,
    response: {
      ...RESPONSE_BASE,
      model: 'o4-mini-2025-04-16',
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      max_output_tokens: 2048,
      output: [],
      usage: {
        input_tokens: 812,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 2048,
        output_tokens_details: { reasoning_tokens: 2048 },
        total_tokens: 2860,
      },
    },
  },
];

/**
 * Anthropic Messages streaming events (the documented layout): `message_start` with input and cache counts,
 * `ping`, the content block, then `message_delta` with the stop reason and the cumulative output count.
 */
export const ANTHROPIC_STREAM = [
  {
    type: 'message_start',
    message: {
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5-20250929',
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 50,
        cache_creation_input_tokens: 556,
        cache_read_input_tokens: 1200,
        cache_creation: { ephemeral_5m_input_tokens: 456, ephemeral_1h_input_tokens: 100 },
        output_tokens: 1,
        service_tier: 'standard',
      },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } },
  { type: 'content_block_stop', index: 0 },
  {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 15 },
  },
  { type: 'message_stop' },
];

/**
 * A newer-API-version stream whose `message_delta.usage` repeats every count (cumulative), with `null` for
 * the ones it does not report, and a tool use.
 */
export const ANTHROPIC_STREAM_CUMULATIVE = [
  {
    type: 'message_start',
    message: {
      id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5-20251001',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 472,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 2,
      },
    },
  },
  {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
  },
  {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' },
  },
  { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: 'ncisco"}' } },
  { type: 'content_block_stop', index: 0 },
  {
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: {
      input_tokens: 472,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens: 89,
      server_tool_use: null,
    },
  },
  { type: 'message_stop' },
];

/** Gemini API `streamGenerateContent?alt=sse`: every chunk carries the usage so far; the last the finish reason. */
export const GEMINI_STREAM = [
  {
    candidates: [{ content: { parts: [{ text: 'Photosynthesis' }], role: 'model' }, index: 0 }],
    usageMetadata: {
      promptTokenCount: 12500,
      totalTokenCount: 12500,
      cachedContentTokenCount: 12000,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12500 }],
    },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'mDJmaNb6Dd3X1PIP5LmIsAM',
  },
  {
    candidates: [{ content: { parts: [{ text: ' turns light into' }], role: 'model' }, index: 0 }],
    usageMetadata: {
      promptTokenCount: 12500,
      candidatesTokenCount: 120,
      totalTokenCount: 12770,
      cachedContentTokenCount: 12000,
      thoughtsTokenCount: 150,
    },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'mDJmaNb6Dd3X1PIP5LmIsAM',
  },
  {
    candidates: [
      {
        content: { parts: [{ text: ' chemical energy.' }], role: 'model' },
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
  },
];

/** Vertex AI `streamGenerateContent` (`createTime` on every chunk). */
export const VERTEX_STREAM = [
  {
    candidates: [{ content: { role: 'model', parts: [{ text: 'Oslo is 12°C' }] } }],
    modelVersion: 'gemini-2.5-pro',
    createTime: '2026-03-04T10:11:12.345678Z',
    responseId: 'sAFnaPWcLs3r2fMP8Oa3-Ac',
  },
  {
    candidates: [
      { content: { role: 'model', parts: [{ text: ' and cloudy.' }] }, finishReason: 'MAX_TOKENS' },
    ],
    usageMetadata: {
      promptTokenCount: 40,
      candidatesTokenCount: 64,
      toolUsePromptTokenCount: 910,
      totalTokenCount: 1014,
      trafficType: 'ON_DEMAND',
    },
    modelVersion: 'gemini-2.5-pro',
    createTime: '2026-03-04T10:11:12.345678Z',
    responseId: 'sAFnaPWcLs3r2fMP8Oa3-Ac',
  },
];

/** Bedrock ConverseStream through the AWS SDK v3 (`for await (const event of response.stream)`). */
export const BEDROCK_CONVERSE_STREAM = [
  { messageStart: { role: 'assistant' } },
  { contentBlockDelta: { delta: { text: 'Here is' }, contentBlockIndex: 0 } },
  { contentBlockDelta: { delta: { text: ' the summary…' }, contentBlockIndex: 0 } },
  { contentBlockStop: { contentBlockIndex: 0 } },
  { messageStop: { stopReason: 'end_turn' } },
  {
    metadata: {
      usage: {
        inputTokens: 44,
        outputTokens: 210,
        totalTokens: 4954,
        cacheReadInputTokens: 3700,
        cacheWriteInputTokens: 1000,
      },
      metrics: { latencyMs: 1275 },
    },
  },
];

const AI_USAGE_STEP_1 = {
  inputTokens: 2330,
  inputTokenDetails: { noCacheTokens: 30, cacheReadTokens: 0, cacheWriteTokens: 2300 },
  outputTokens: 60,
  outputTokenDetails: { textTokens: 0, reasoningTokens: 60 },
  totalTokens: 2390,
};

const AI_USAGE_STEP_2 = {
  inputTokens: 2320,
  inputTokenDetails: { noCacheTokens: 20, cacheReadTokens: 2300, cacheWriteTokens: 0 },
  outputTokens: 100,
  outputTokenDetails: { textTokens: 100, reasoningTokens: 0 },
  totalTokens: 2420,
};

/** `ai` 7 `streamText().fullStream` over Anthropic, two steps (a tool call, then the answer). */
export const AI_SDK_FULL_STREAM = [
  { type: 'start' },
  { type: 'start-step', request: {}, warnings: [] },
  { type: 'reasoning-start', id: 'r0' },
  { type: 'reasoning-delta', id: 'r0', text: 'The user wants the weather.' },
  { type: 'reasoning-end', id: 'r0' },
  { type: 'tool-input-start', id: 'toolu_01', toolName: 'weather' },
  { type: 'tool-input-delta', id: 'toolu_01', delta: '{"city":"Oslo"}' },
  { type: 'tool-input-end', id: 'toolu_01' },
  { type: 'tool-call', toolCallId: 'toolu_01', toolName: 'weather', input: { city: 'Oslo' } },
  {
    type: 'tool-result',
    toolCallId: 'toolu_01',
    toolName: 'weather',
    input: { city: 'Oslo' },
    output: { celsius: 12 },
  },
  {
    type: 'finish-step',
    finishReason: 'tool-calls',
    rawFinishReason: 'tool_use',
    usage: AI_USAGE_STEP_1,
    response: {
      id: 'msg_01Step1',
      timestamp: '2026-03-04T10:11:12.000Z',
      modelId: 'claude-sonnet-4-5-20250929',
    },
    providerMetadata: { anthropic: { cacheCreationInputTokens: 2300 } },
  },
  { type: 'start-step', request: {}, warnings: [] },
  { type: 'text-start', id: 't0' },
  { type: 'text-delta', id: 't0', text: 'It is 12°C in Oslo.' },
  { type: 'text-end', id: 't0' },
  {
    type: 'finish-step',
    finishReason: 'stop',
    rawFinishReason: 'end_turn',
    usage: AI_USAGE_STEP_2,
    response: {
      id: 'msg_01Step2',
      timestamp: '2026-03-04T10:11:13.000Z',
      modelId: 'claude-sonnet-4-5-20250929',
    },
    providerMetadata: { anthropic: { cacheCreationInputTokens: 0 } },
  },
  {
    type: 'finish',
    finishReason: 'stop',
    rawFinishReason: 'end_turn',
    totalUsage: {
      inputTokens: 4650,
      inputTokenDetails: { noCacheTokens: 50, cacheReadTokens: 2300, cacheWriteTokens: 2300 },
      outputTokens: 160,
      outputTokenDetails: { textTokens: 100, reasoningTokens: 60 },
      totalTokens: 4810,
    },
  },
];

/** A language model's `doStream` parts (`LanguageModelV3`/`V4`), what a middleware's `wrapStream` passes on. */
export const AI_SDK_MODEL_STREAM = [
  { type: 'stream-start', warnings: [] },
  {
    type: 'response-metadata',
    id: 'chatcmpl-C9pStrEamX1a2b3c4',
    modelId: 'gpt-4o-2024-08-06',
    timestamp: new Date('2026-03-04T10:11:12Z'),
  },
  { type: 'text-start', id: '0' },
  { type: 'text-delta', id: '0', delta: 'Oslo is' },
  { type: 'text-delta', id: '0', delta: ' 12°C.' },
  { type: 'text-end', id: '0' },
  {
    type: 'finish',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 1352, noCache: 72, cacheRead: 1280, cacheWrite: undefined },
      outputTokens: { total: 7, text: 7, reasoning: 0 },
      raw: { prompt_tokens: 1352, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 1280 } },
    },
    providerMetadata: { openai: { acceptedPredictionTokens: 0, rejectedPredictionTokens: 0 } },
  },
];

/** `ai` 5's `LanguageModelV2` stream parts over Anthropic: flat usage without cache, writes in metadata. */
export const AI_SDK_V2_MODEL_STREAM = [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF', modelId: 'claude-haiku-4-5-20251001' },
  { type: 'text-start', id: '0' },
  { type: 'text-delta', id: '0', delta: 'The essay argues that…' },
  { type: 'text-end', id: '0' },
  {
    type: 'finish',
    finishReason: 'stop',
    usage: { inputTokens: 21, outputTokens: 393, totalTokens: 414, cachedInputTokens: 1800 },
    providerMetadata: { anthropic: { cacheCreationInputTokens: 188086 } },
  },
];
