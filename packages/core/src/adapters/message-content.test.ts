import { describe, expect, it } from 'vitest';
import { captureInput, captureOutput, createContentAccumulator } from './message-content.js';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUg==';

describe('captureInput / captureOutput: OpenAI Chat Completions', () => {
  const body = {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this image, and the weather in Paris?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'rainy, 14°C' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'd', parameters: {} } }],
  };

  it('maps messages, multimodal parts, tool calls and results, and tool definitions', () => {
    expect(captureInput(body)).toEqual({
      inputMessages: [
        { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'What is in this image, and the weather in Paris?' },
            { type: 'blob', modality: 'image', mime_type: 'image/png', content: PNG_B64 },
            { type: 'uri', modality: 'image', uri: 'https://example.com/cat.jpg' },
          ],
        },
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
        },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'rainy, 14°C' }] },
      ],
      toolDefinitions: [{ type: 'function', name: 'get_weather' }],
    });
    // The messages alone are told apart by their tool calls.
    expect(captureInput(body.messages).inputMessages).toHaveLength(4);
  });

  it('maps each choice to an output message with the conventions finish reason', () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
        { index: 1, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'length' },
      ],
    };
    expect(captureOutput(completion)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_2', name: 'f', arguments: { a: 1 } }],
        finish_reason: 'tool_call',
      },
      { role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'length' },
    ]);
  });

  it('builds the output from stream chunks: text and tool-call argument fragments joined', () => {
    const acc = createContentAccumulator();
    const chunks = [
      {
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }],
      },
      { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'lo' } }] },
      {
        object: 'chat.completion.chunk',
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'call_3', function: { name: 'get_weather', arguments: '{"ci' } }],
            },
          },
        ],
      },
      {
        object: 'chat.completion.chunk',
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] } },
        ],
      },
      { object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      { object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } },
    ];
    for (const c of chunks) acc.add(c);
    expect(acc.messages()).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Hello' },
          { type: 'tool_call', id: 'call_3', name: 'get_weather', arguments: { city: 'Oslo' } },
        ],
        finish_reason: 'tool_call',
      },
    ]);
  });

  it('marks a stream that ended before its finish reason as interrupted', () => {
    const acc = createContentAccumulator('openai.chat');
    acc.add({ choices: [{ index: 0, delta: { role: 'assistant', content: 'par' } }] });
    expect(acc.messages()[0]?.finish_reason).toBe('interrupted');
  });
});

describe('OpenAI Responses', () => {
  it('maps input items, instructions and built-in tools', () => {
    const content = captureInput({
      model: 'gpt-5',
      instructions: 'Answer in French.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather?' },
            { type: 'input_image', file_id: 'file-9' },
          ],
        },
        { type: 'function_call', call_id: 'fc_1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
        { type: 'function_call_output', call_id: 'fc_1', output: '{"temp":20}' },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: {} }, { type: 'web_search_preview' }],
    });
    expect(content).toEqual({
      inputMessages: [
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'Weather?' },
            { type: 'file', modality: 'image', file_id: 'file-9' },
          ],
        },
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'fc_1', name: 'get_weather', arguments: { city: 'Lyon' } }],
        },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'fc_1', response: '{"temp":20}' }] },
      ],
      systemInstructions: [{ type: 'text', content: 'Answer in French.' }],
      toolDefinitions: [
        { type: 'function', name: 'get_weather' },
        { type: 'web_search_preview', name: 'web_search_preview' },
      ],
    });
    expect(captureInput({ model: 'gpt-5', input: 'Hi' }).inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
    ]);
  });

  it('maps the output items to one assistant message; the stream uses response.completed', () => {
    const response = {
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thinking it over' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Il pleut.' }] },
      ],
    };
    const expected = [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'Thinking it over' },
          { type: 'text', content: 'Il pleut.' },
        ],
        finish_reason: 'stop',
      },
    ];
    expect(captureOutput(response)).toEqual(expected);
    const acc = createContentAccumulator();
    acc.add({ type: 'response.created', response: { ...response, output: [] } });
    acc.add({ type: 'response.output_text.delta', output_index: 1, delta: 'Il ' });
    acc.add({ type: 'response.completed', response });
    expect(acc.messages()).toEqual(expected);
    expect(
      captureOutput({
        ...response,
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
      })[0],
    ).toMatchObject({ finish_reason: 'length' });
  });
});

describe('Anthropic Messages', () => {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: [{ type: 'text', text: 'You are a weather bot.' }],
    tools: [
      { name: 'get_weather', description: 'd', input_schema: { type: 'object' } },
      { type: 'web_search_20250305', name: 'web_search' },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Rome?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
          { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Need the tool.', signature: 'sig' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
    ],
  };

  it('maps system, messages (tool results stay in the user message) and tools', () => {
    expect(captureInput(body)).toEqual({
      inputMessages: [
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'Weather in Rome?' },
            { type: 'blob', modality: 'image', mime_type: 'image/png', content: PNG_B64 },
            { type: 'uri', modality: 'document', uri: 'https://example.com/a.pdf' },
          ],
        },
        {
          role: 'assistant',
          parts: [
            { type: 'reasoning', content: 'Need the tool.' },
            { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: { city: 'Rome' } },
          ],
        },
        { role: 'user', parts: [{ type: 'tool_call_response', id: 'toolu_1', response: 'sunny' }] },
      ],
      systemInstructions: [{ type: 'text', content: 'You are a weather bot.' }],
      toolDefinitions: [
        { type: 'function', name: 'get_weather' },
        { type: 'web_search_20250305', name: 'web_search' },
      ],
    });
  });

  it('maps a message and its stream events to the same output', () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Bern' } },
      ],
      stop_reason: 'tool_use',
    };
    const expected = [
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Checking.' },
          { type: 'tool_call', id: 'toolu_2', name: 'get_weather', arguments: { city: 'Bern' } },
        ],
        finish_reason: 'tool_call',
      },
    ];
    expect(captureOutput(message)).toEqual(expected);
    const acc = createContentAccumulator();
    for (const event of [
      { type: 'message_start', message: { ...message, content: [], stop_reason: null } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Check' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ing.' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"city":' },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Bern"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ]) {
      acc.add(event);
    }
    expect(acc.messages()).toEqual(expected);
  });
});

describe('Gemini', () => {
  it('maps contents, config.systemInstruction and tools; model is assistant', () => {
    const content = captureInput({
      model: 'gemini-2.5-flash',
      contents: [
        {
          role: 'user',
          parts: [{ text: 'Describe' }, { inlineData: { mimeType: 'audio/wav', data: 'UklGR' } }],
        },
        { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'lookup', args: { q: 'x' } } }] },
        { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'lookup', response: { ok: true } } }] },
      ],
      config: {
        systemInstruction: 'Be kind.',
        tools: [{ functionDeclarations: [{ name: 'lookup' }] }, { googleSearch: {} }],
      },
    });
    expect(content).toEqual({
      inputMessages: [
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'Describe' },
            { type: 'blob', modality: 'audio', mime_type: 'audio/wav', content: 'UklGR' },
          ],
        },
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: { q: 'x' } }],
        },
        { role: 'user', parts: [{ type: 'tool_call_response', id: 'c1', response: { ok: true } }] },
      ],
      systemInstructions: [{ type: 'text', content: 'Be kind.' }],
      toolDefinitions: [
        { type: 'function', name: 'lookup' },
        { type: 'googleSearch', name: 'googleSearch' },
      ],
    });
    expect(captureInput({ model: 'gemini-2.5-flash', contents: 'Hi there' }).inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Hi there' }] },
    ]);
  });

  it('maps candidates, and joins streamed text', () => {
    const chunk = (text: string, finishReason?: string) => ({
      candidates: [
        { index: 0, content: { role: 'model', parts: [{ text }] }, ...(finishReason && { finishReason }) },
      ],
    });
    expect(captureOutput(chunk('Done.', 'MAX_TOKENS'))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Done.' }], finish_reason: 'length' },
    ]);
    const acc = createContentAccumulator();
    acc.add(chunk('Hel'));
    acc.add(chunk('lo', 'STOP'));
    expect(acc.messages()).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' },
    ]);
  });
});

describe('AI SDK', () => {
  it('maps the language-model prompt (V4 file data, tool results) and tools', () => {
    const content = captureInput({
      prompt: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            {
              type: 'file',
              mediaType: 'image/jpeg',
              data: { type: 'url', url: new URL('https://example.com/x.jpg') },
            },
            { type: 'file', mediaType: 'application/pdf', data: new Uint8Array([1, 2, 3]) },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool-call', toolCallId: 't1', toolName: 'search', input: { q: 'x' } }],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 't1',
              toolName: 'search',
              output: { type: 'json', value: { hits: 2 } },
            },
          ],
        },
      ],
      tools: [
        { type: 'function', name: 'search', inputSchema: {} },
        { type: 'provider', id: 'openai.web_search', name: 'web_search', args: {} },
      ],
    });
    expect(content).toEqual({
      inputMessages: [
        { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'Look' },
            { type: 'uri', modality: 'image', mime_type: 'image/jpeg', uri: 'https://example.com/x.jpg' },
            { type: 'blob', modality: 'document', mime_type: 'application/pdf', content: 'AQID' },
          ],
        },
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 't1', name: 'search', arguments: { q: 'x' } }],
        },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 't1', response: { hits: 2 } }] },
      ],
      toolDefinitions: [
        { type: 'function', name: 'search' },
        { type: 'openai.web_search', name: 'web_search' },
      ],
    });
  });

  it('maps a doGenerate result and doStream parts', () => {
    const result = {
      content: [
        { type: 'reasoning', text: 'hmm' },
        { type: 'text', text: 'Answer' },
        { type: 'tool-call', toolCallId: 't2', toolName: 'search', input: '{"q":"y"}' },
      ],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage: {},
    };
    const expected = [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'hmm' },
          { type: 'text', content: 'Answer' },
          { type: 'tool_call', id: 't2', name: 'search', arguments: { q: 'y' } },
        ],
        finish_reason: 'tool_call',
      },
    ];
    expect(captureOutput(result)).toEqual(expected);
    const acc = createContentAccumulator();
    for (const part of [
      { type: 'stream-start', warnings: [] },
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'hmm' },
      { type: 'reasoning-end', id: 'r' },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'Ans' },
      { type: 'text-delta', id: '0', delta: 'wer' },
      { type: 'text-end', id: '0' },
      { type: 'tool-call', toolCallId: 't2', toolName: 'search', input: '{"q":"y"}' },
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage: {} },
    ]) {
      acc.add(part);
    }
    expect(acc.messages()).toEqual(expected);
  });
});

describe('telling shapes apart by shared part names', () => {
  it('file, image and document parts are read by the provider their fields belong to', () => {
    expect(
      captureInput([
        { role: 'user', content: [{ type: 'file', file: { file_id: 'file-1', filename: 'a.pdf' } }] },
      ]).inputMessages?.[0]?.parts,
    ).toEqual([{ type: 'file', modality: 'document', file_id: 'file-1' }]);
    expect(
      captureInput([{ role: 'user', content: [{ type: 'image', image: 'https://example.com/i.png' }] }])
        .inputMessages?.[0]?.parts,
    ).toEqual([{ type: 'uri', modality: 'image', uri: 'https://example.com/i.png' }]);
    expect(
      captureInput([
        {
          role: 'user',
          content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } }],
        },
      ]).inputMessages?.[0]?.parts,
    ).toEqual([{ type: 'text', content: 'doc' }]);
  });
});

describe('shapes of no known kind', () => {
  it('records a string as one message, an unknown object as its JSON, and never throws', () => {
    expect(captureInput('hello').inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'hello' }] },
    ]);
    expect(captureInput({ question: 'q' }).inputMessages).toEqual([
      { role: 'user', parts: [{ type: 'text', content: '{"question":"q"}' }] },
    ]);
    expect(captureOutput({ answer: 1 })).toEqual([]);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(() => captureInput(hostile)).not.toThrow();
    expect(captureOutput(hostile)).toEqual([]);
    const acc = createContentAccumulator();
    acc.add(hostile);
    acc.add('text');
    expect(acc.messages()).toEqual([]);
  });
});
