import { type AddressInfo, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_OVERLOADED,
  ANTHROPIC_PROMPT_TOO_LONG,
  ANTHROPIC_RATE_LIMIT,
  aiSdkAPICallError,
  aiSdkRetryError,
  anthropicError,
  awsServiceException,
  GEMINI_CONTEXT_TOO_LONG,
  GEMINI_RESOURCE_EXHAUSTED,
  GEMINI_UNAVAILABLE,
  geminiApiError,
  OPENAI_CONTEXT_LENGTH,
  OPENAI_INSUFFICIENT_QUOTA,
  OPENAI_RATE_LIMIT,
  openAIConnectionError,
  openAIConnectionTimeoutError,
  openAIError,
} from '../../../../test/helpers/provider-errors.js';
import { loadVector } from '../../../../test/helpers/vectors.js';
import {
  classifyError,
  classifyMessage,
  classifyStructured,
  errorChain,
  httpStatusOf,
  MAX_CAUSE_DEPTH,
} from './classify-error.js';
import { assertScenario, FailureScenario, failureClassFor } from './failure-scenario.js';

interface ByMessage {
  message: string;
  scenario: string;
}
interface ByKind {
  kind: string;
  scenario: string;
}

const vector = loadVector('classification') as { by_message: ByMessage[]; by_kind: ByKind[] };

function jsonParseError(): unknown {
  try {
    JSON.parse('{"memory": ');
  } catch (err) {
    return err;
  }
  throw new Error('JSON.parse accepted bad input');
}

/** The error a reference "kind" stands for, as a JS runtime throws it. */
const KIND_ERRORS: Record<string, () => unknown> = {
  timeout: () => new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
  json_parse: jsonParseError,
  connection: () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED', errno: -111 }),
};

const withProps = (message: string, props: Record<string, unknown>) =>
  Object.assign(new Error(message), props);

describe('classifyError: reference vectors', () => {
  it.each(vector.by_message)('message $message → $scenario', ({ message, scenario }) => {
    expect(classifyError(new Error(message))).toBe(scenario);
    // A thrown string is its own message.
    expect(classifyError(message)).toBe(scenario);
    expect(classifyMessage(message)).toBe(scenario);
  });

  it('covers every by_kind case', () => {
    expect(vector.by_kind.map((c) => c.kind).sort()).toEqual(Object.keys(KIND_ERRORS).sort());
  });

  it.each(vector.by_kind)('kind $kind → $scenario', ({ kind, scenario }) => {
    const make = KIND_ERRORS[kind];
    expect(make).toBeDefined();
    const err = make!();
    expect(classifyError(err)).toBe(scenario);
    expect(classifyStructured(err)).toBe(scenario);
  });

  it('leaves a message-only error to the message rules', () => {
    for (const { message } of vector.by_message) {
      expect(classifyStructured(new Error(message))).toBeUndefined();
    }
  });
});

describe('classifyError: structured facts win over the message', () => {
  it.each([
    [{ status: 429 }, 'timeout while waiting', 'rate_limit'],
    [{ statusCode: 429 }, 'tool failed', 'rate_limit'],
    [{ response: { status: 429 } }, 'corrupt', 'rate_limit'],
    [{ status: 408 }, 'rate limit', 'llm_timeout'],
    [{ status: 504 }, 'bad gateway', 'llm_timeout'],
    [{ status: 500 }, 'Error 500 internal', 'provider_failure'],
    [{ status: 502 }, 'timeout', 'provider_failure'],
    [{ status: 503 }, 'timeout', 'provider_failure'],
    [{ status: 529 }, 'overloaded', 'provider_failure'],
    [{ status: 501 }, 'x', 'provider_failure'],
    [{ status: 401 }, 'timeout', 'provider_failure'],
    [{ status: 403 }, 'forbidden', 'provider_failure'],
    [{ status: 413 }, 'payload too large', 'context_overflow'],
    [{ $metadata: { httpStatusCode: 429 } }, 'ThrottlingException', 'rate_limit'],
    [{ error: { code: 429, status: 'SOMETHING' } }, 'x', 'rate_limit'],
    [{ code: '503' }, 'x', 'provider_failure'],
  ])('%o with message %j → %s', (props, message, scenario) => {
    expect(classifyError(withProps(message, props))).toBe(scenario);
  });

  it.each([
    ['ECONNREFUSED', 'provider_failure'],
    ['ECONNRESET', 'provider_failure'],
    ['ENOTFOUND', 'provider_failure'],
    ['EAI_AGAIN', 'provider_failure'],
    ['EPIPE', 'provider_failure'],
    ['UND_ERR_SOCKET', 'provider_failure'],
    ['ETIMEDOUT', 'llm_timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'llm_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'llm_timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'llm_timeout'],
  ])('Node/undici code %s → %s, on the error and as the cause of fetch failed', (code, scenario) => {
    expect(classifyError(withProps('tool failed', { code }))).toBe(scenario);
    const fetchFailed = new TypeError('fetch failed', { cause: withProps('other side closed', { code }) });
    expect(classifyError(fetchFailed)).toBe(scenario);
    expect(classifyError(new TypeError('fetch failed', { cause: { code } }))).toBe(scenario);
  });

  it.each([
    [{ type: 'rate_limit_error' }, 'rate_limit'],
    [{ error: { type: 'rate_limit_error' } }, 'rate_limit'],
    [{ error: { type: 'error', error: { type: 'rate_limit_error' } } }, 'rate_limit'],
    [{ code: 'rate_limit_exceeded' }, 'rate_limit'],
    [{ error: { code: 'rate_limit_exceeded' } }, 'rate_limit'],
    [{ error: { status: 'RESOURCE_EXHAUSTED' } }, 'rate_limit'],
    [{ code: 'RESOURCE_EXHAUSTED' }, 'rate_limit'],
    [{ error: { type: 'overloaded_error' } }, 'provider_failure'],
    [{ code: 'context_length_exceeded' }, 'context_overflow'],
    [{ error: { code: 'context_length_exceeded' } }, 'context_overflow'],
  ])('provider type/code %o → %s', (props, scenario) => {
    expect(classifyError(withProps('timeout', props))).toBe(scenario);
  });

  it('a spent quota is not a rate limit, even when it comes as a 429', () => {
    const err = withProps('429 You exceeded your current quota', {
      status: 429,
      code: 'insufficient_quota',
      error: { code: 'insufficient_quota', type: 'insufficient_quota' },
    });
    expect(classifyError(err)).toBe('provider_failure');
    expect(classifyError(withProps('x', { error: { type: 'insufficient_quota' } }))).toBe('provider_failure');
  });

  it('a context overflow sent as a 400 is decided by its code', () => {
    const err = withProps('400 Bad request', { status: 400, error: { code: 'context_length_exceeded' } });
    expect(classifyError(err)).toBe('context_overflow');
  });

  it('statuses that say nothing leave the decision to the message', () => {
    expect(classifyStructured(withProps('x', { status: 400 }))).toBeUndefined();
    expect(classifyError(withProps('token limit exceeded', { status: 400 }))).toBe('context_overflow');
    expect(classifyError(withProps('not found', { status: 404 }))).toBe('llm_error');
    expect(classifyError(withProps('moved', { status: 301 }))).toBe('llm_error');
  });

  it('a TimeoutError or AbortError by name is a timeout', () => {
    expect(classifyError(new DOMException('aborted', 'AbortError'))).toBe('llm_timeout');
    expect(classifyError(withProps('rate limit', { name: 'TimeoutError' }))).toBe('llm_timeout');
  });

  it("a client SDK's APIUserAbortError is the same cancelled request, even when its name is Error", () => {
    class APIUserAbortError extends Error {}
    expect(new APIUserAbortError('Request was aborted.').name).toBe('Error');
    expect(classifyError(new APIUserAbortError('Request was aborted.'))).toBe('llm_timeout');
    expect(classifyError(withProps('Request was aborted.', { name: 'APIUserAbortError' }))).toBe(
      'llm_timeout',
    );
    expect(classifyError(new Error('Request was aborted.'))).toBe('llm_error');
  });

  it('a SyntaxError is memory corruption whatever its message', () => {
    expect(classifyError(new SyntaxError('429 tool error'))).toBe('memory_corruption');
  });

  it('non-error values do not throw', () => {
    expect(classifyError(undefined)).toBe('llm_error');
    expect(classifyError(null)).toBe('llm_error');
    expect(classifyError(42)).toBe('llm_error');
    expect(classifyError(504)).toBe('llm_error');
    expect(classifyError({})).toBe('llm_error');
    expect(classifyError({ message: 'Request timed out' })).toBe('llm_timeout');
    expect(classifyError({ message: 42 })).toBe('llm_error');
  });

  it('a throwing getter or Proxy does not escape', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(classifyError(hostile)).toBe('llm_error');
    const err = new Error('upstream broke');
    Object.defineProperty(err, 'status', {
      get() {
        throw new Error('boom');
      },
    });
    expect(classifyError(err)).toBe('dependency_timeout');
  });
});

describe('classifyError: cause chains', () => {
  it('the outermost deciding fact wins', () => {
    const inner = withProps('socket', { code: 'ETIMEDOUT' });
    const outer = withProps('wrapped', { status: 429, cause: inner });
    expect(classifyError(outer)).toBe('rate_limit');
    expect(classifyError(new Error('wrapped', { cause: inner }))).toBe('llm_timeout');
  });

  it('a structured cause beats the outer message', () => {
    const err = new Error('tool failed', { cause: { response: { status: 503 } } });
    expect(classifyError(err)).toBe('provider_failure');
  });

  it('falls back to the messages of the causes when the outer one matches no rule', () => {
    expect(classifyError(new Error('turn failed', { cause: new Error('Request timed out') }))).toBe(
      'llm_timeout',
    );
    expect(classifyError(new Error('turn failed', { cause: 'upstream down' }))).toBe('llm_error');
    // The outer message wins when it matches.
    expect(classifyError(new Error('corrupt', { cause: new Error('timed out') }))).toBe('memory_corruption');
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyError(a)).toBe('llm_error');
    expect(errorChain(a)).toEqual([a, b]);
    a.cause = withProps('c', { cause: b, code: 'ECONNRESET' });
    expect(classifyError(b)).toBe('provider_failure');
    const self: Error & { cause?: unknown } = new Error('self');
    self.cause = self;
    expect(classifyError(self)).toBe('llm_error');
  });

  it('stops after MAX_CAUSE_DEPTH errors', () => {
    let err: Error = withProps('deep', { code: 'ECONNRESET' });
    for (let i = 1; i < MAX_CAUSE_DEPTH; i++) err = new Error(`level ${i}`, { cause: err });
    expect(classifyError(err)).toBe('provider_failure');
    expect(classifyError(new Error('one more', { cause: err }))).toBe('llm_error');
    expect(errorChain(new Error('one more', { cause: err }))).toHaveLength(MAX_CAUSE_DEPTH);
  });
});

describe('httpStatusOf', () => {
  it.each([
    [{ status: 429 }, 429],
    [{ statusCode: 503 }, 503],
    [{ response: { status: 502 } }, 502],
    [{ response: { statusCode: 404 } }, 404],
    [{ $metadata: { httpStatusCode: 429 } }, 429],
    [{ code: 500 }, 500],
    [{ code: '429' }, 429],
    [{ error: { status: 413 } }, 413],
    [{ error: { code: 429 } }, 429],
  ])('%o → %i', (props, status) => {
    expect(httpStatusOf(withProps('x', props))).toBe(status);
  });

  it('finds a status along the cause chain', () => {
    expect(httpStatusOf(new Error('x', { cause: new Error('y', { cause: { status: 504 } }) }))).toBe(504);
  });

  it('ignores what is not an HTTP status', () => {
    expect(httpStatusOf(withProps('x', { code: 'ECONNRESET' }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { code: 8 }))).toBeUndefined(); // gRPC RESOURCE_EXHAUSTED
    expect(httpStatusOf(withProps('x', { status: 429.5 }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { status: 600 }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { status: '4290' }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { error: { status: 'RESOURCE_EXHAUSTED' } }))).toBeUndefined();
    expect(httpStatusOf('HTTP 429')).toBeUndefined();
    expect(httpStatusOf(undefined)).toBeUndefined();
  });

  it('FailureScenario holds the reference seven plus rate_limit', () => {
    expect(Object.values(FailureScenario).sort()).toEqual(
      [
        'context_overflow',
        'dependency_timeout',
        'llm_error',
        'llm_timeout',
        'memory_corruption',
        'provider_failure',
        'rate_limit',
        'tool_execution_error',
      ].sort(),
    );
  });
});

describe('failureClassFor', () => {
  it.each([
    ['llm_timeout', 'llm_timeout'],
    ['llm_error', 'llm_error'],
    ['tool_execution_error', 'tool_error'],
    ['context_overflow', 'context_overflow'],
    ['dependency_timeout', 'dependency_failed'],
    ['memory_corruption', 'memory_corruption'],
    ['provider_failure', 'dependency_failed'],
    ['rate_limit', 'rate_limit'],
  ] as const)('%s → %s', (scenario, failureClass) => {
    expect(failureClassFor(scenario)).toBe(failureClass);
  });

  it('rejects an unknown scenario, naming the field', () => {
    expect(() => failureClassFor('meltdown' as FailureScenario)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'scenario', value: 'meltdown' }),
    );
    expect(() => assertScenario(7, 'recipe.scenario')).toThrow(/recipe\.scenario must be one of llm_timeout/);
  });
});

describe('classifyError: provider client errors', () => {
  it.each([
    [
      'OpenAI 429 rate_limit_exceeded',
      () => openAIError({ status: 429, body: OPENAI_RATE_LIMIT }),
      'rate_limit',
    ],
    [
      'OpenAI 429 insufficient_quota (not a rate limit)',
      () => openAIError({ status: 429, body: OPENAI_INSUFFICIENT_QUOTA }),
      'provider_failure',
    ],
    [
      'OpenAI 400 context_length_exceeded',
      () => openAIError({ status: 400, body: OPENAI_CONTEXT_LENGTH }),
      'context_overflow',
    ],
    [
      'OpenAI 400 overflow worded without a code',
      () =>
        openAIError({
          status: 400,
          body: { error: { ...OPENAI_CONTEXT_LENGTH.error, code: null } },
        }),
      'context_overflow',
    ],
    [
      'OpenAI 500',
      () =>
        openAIError({
          status: 500,
          body: {
            error: { message: 'The server had an error', type: 'server_error', param: null, code: null },
          },
        }),
      'provider_failure',
    ],
    ['OpenAI connection timeout', () => openAIConnectionTimeoutError(), 'llm_timeout'],
    [
      'OpenAI connection error over ECONNREFUSED',
      () =>
        openAIConnectionError(
          new TypeError('fetch failed', {
            cause: withProps('connect ECONNREFUSED 127.0.0.1:443', { code: 'ECONNREFUSED' }),
          }),
        ),
      'provider_failure',
    ],
    [
      'Anthropic 529 overloaded_error',
      () => anthropicError({ status: 529, body: ANTHROPIC_OVERLOADED }),
      'provider_failure',
    ],
    [
      'Anthropic 429 rate_limit_error',
      () => anthropicError({ status: 429, body: ANTHROPIC_RATE_LIMIT }),
      'rate_limit',
    ],
    [
      'Anthropic 400 prompt is too long',
      () => anthropicError({ status: 400, body: ANTHROPIC_PROMPT_TOO_LONG }),
      'context_overflow',
    ],
    [
      'Anthropic 402 billing_error',
      () =>
        anthropicError({
          status: 402,
          body: {
            type: 'error',
            error: { type: 'billing_error', message: 'Your credit balance is too low' },
          },
        }),
      'provider_failure',
    ],
    [
      'Anthropic 504 timeout_error',
      () =>
        anthropicError({
          status: 504,
          body: { type: 'error', error: { type: 'timeout_error', message: 'Request timed out' } },
        }),
      'llm_timeout',
    ],
    ['Gemini 429 RESOURCE_EXHAUSTED', () => geminiApiError(GEMINI_RESOURCE_EXHAUSTED), 'rate_limit'],
    [
      'Gemini 400 input token count exceeds',
      () => geminiApiError(GEMINI_CONTEXT_TOO_LONG),
      'context_overflow',
    ],
    ['Gemini 503 UNAVAILABLE', () => geminiApiError(GEMINI_UNAVAILABLE), 'provider_failure'],
    [
      'AI SDK 429 with an OpenAI quota body (the AI SDK calls it retryable)',
      () => aiSdkAPICallError({ statusCode: 429, body: OPENAI_INSUFFICIENT_QUOTA }),
      'provider_failure',
    ],
    [
      'AI SDK 429 with an OpenAI quota body as raw text only',
      () =>
        Object.assign(aiSdkAPICallError({ statusCode: 429 }), {
          responseBody: JSON.stringify(OPENAI_INSUFFICIENT_QUOTA),
        }),
      'provider_failure',
    ],
    [
      'AI SDK 400 with an OpenAI context_length_exceeded body',
      () => aiSdkAPICallError({ statusCode: 400, body: OPENAI_CONTEXT_LENGTH }),
      'context_overflow',
    ],
    [
      'AI SDK 400 with an Anthropic prompt-too-long body',
      () =>
        aiSdkAPICallError({
          statusCode: 400,
          body: ANTHROPIC_PROMPT_TOO_LONG,
          message: ANTHROPIC_PROMPT_TOO_LONG.error.message,
        }),
      'context_overflow',
    ],
    [
      'AI SDK 529 with an Anthropic overloaded body',
      () => aiSdkAPICallError({ statusCode: 529, body: ANTHROPIC_OVERLOADED, message: 'Overloaded' }),
      'provider_failure',
    ],
    [
      'AI SDK 429 with a Google RESOURCE_EXHAUSTED body',
      () => aiSdkAPICallError({ statusCode: 429, body: GEMINI_RESOURCE_EXHAUSTED }),
      'rate_limit',
    ],
    [
      'AI SDK RetryError whose last attempt was a 429',
      () =>
        aiSdkRetryError([
          aiSdkAPICallError({ statusCode: 503 }),
          aiSdkAPICallError({ statusCode: 429, body: OPENAI_RATE_LIMIT }),
        ]),
      'rate_limit',
    ],
    [
      'AI SDK connection failure (APICallError over fetch failed)',
      () =>
        aiSdkAPICallError({
          message: 'Cannot connect to API: read ECONNRESET',
          cause: withProps('read ECONNRESET', { code: 'ECONNRESET' }),
          isRetryable: true,
        }),
      'provider_failure',
    ],
    [
      'Bedrock ThrottlingException',
      () => awsServiceException({ name: 'ThrottlingException', status: 429, message: 'Too many requests' }),
      'rate_limit',
    ],
    [
      'Bedrock ServiceQuotaExceededException (a 400)',
      () =>
        awsServiceException({
          name: 'ServiceQuotaExceededException',
          status: 400,
          message: 'Your request exceeds the service quota for your account.',
        }),
      'provider_failure',
    ],
    [
      'Bedrock ValidationException for a too-long input',
      () =>
        awsServiceException({
          name: 'ValidationException',
          status: 400,
          message: 'Input is too long for requested model.',
        }),
      'context_overflow',
    ],
    [
      'Bedrock ModelTimeoutException',
      () => awsServiceException({ name: 'ModelTimeoutException', status: 408, message: 'Model timed out' }),
      'llm_timeout',
    ],
    [
      'Bun fetch ConnectionRefused',
      () => new TypeError('Unable to connect', { cause: withProps('x', { code: 'ConnectionRefused' }) }),
      'provider_failure',
    ],
  ])('%s', (_label, make, scenario) => {
    expect(classifyError(make())).toBe(scenario);
  });

  it('needs a rejected request before it believes overflow wording', () => {
    // A 200-range or 5xx error that mentions a context window is not an overflow by its wording alone.
    const serverError = anthropicError({
      status: 500,
      body: { type: 'error', error: { type: 'api_error', message: 'context window service crashed' } },
    });
    expect(classifyError(serverError)).toBe('provider_failure');
    expect(classifyStructured(withProps('prompt is too long', {}))).toBeUndefined();
    expect(classifyStructured(withProps('prompt is too long', { status: 422 }))).toBe('context_overflow');
    expect(
      classifyStructured(
        withProps('x', { error: { type: 'invalid_request_error', message: 'exceeds context limit' } }),
      ),
    ).toBe('context_overflow');
  });

  it('ignores bodies that are not JSON objects or are too large to be an error body', () => {
    expect(classifyStructured(aiSdkAPICallError({ statusCode: 400, message: '{not json}' }))).toBeUndefined();
    const huge = Object.assign(new Error('x'), {
      responseBody: `${JSON.stringify(OPENAI_INSUFFICIENT_QUOTA)}${' '.repeat(40_000)}`,
    });
    expect(classifyStructured(huge)).toBeUndefined();
    expect(
      classifyStructured(Object.assign(new Error('x'), { responseBody: '"insufficient_quota"' })),
    ).toBeUndefined();
    expect(classifyStructured(Object.assign(new Error('x'), { responseBody: 'null }' }))).toBeUndefined();
  });

  it('402 is a provider failure (billing)', () => {
    expect(classifyStructured(withProps('Payment required', { status: 402 }))).toBe('provider_failure');
  });

  it('a RetryError without errors ends the chain', () => {
    expect(errorChain(aiSdkRetryError([]))).toHaveLength(1);
  });
});

describe('classifyError: real fetch failures on loopback', () => {
  const fetchError = async (url: string): Promise<unknown> => {
    try {
      const response = await fetch(url);
      await response.text();
    } catch (err) {
      return err;
    }
    throw new Error(`fetch ${url} succeeded`);
  };
  const listen = async (server: Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

  it('a refused connection is a provider failure (undici: fetch failed, cause ECONNREFUSED)', async () => {
    const server = createServer();
    const port = await listen(server);
    await close(server);
    const err = await fetchError(`http://127.0.0.1:${port}/v1/chat/completions`);
    expect(classifyStructured(err)).toBe('provider_failure');
    expect(classifyError(openAIConnectionError(err))).toBe('provider_failure');
  });

  it('a reset connection is a provider failure (cause ECONNRESET)', async () => {
    const server = createServer((socket) => socket.on('data', () => socket.resetAndDestroy()));
    const port = await listen(server);
    try {
      const err = await fetchError(`http://127.0.0.1:${port}/`);
      expect(classifyStructured(err)).toBe('provider_failure');
    } finally {
      await close(server);
    }
  });

  it('a body cut short is a provider failure (cause UND_ERR_SOCKET)', async () => {
    const server = createServer((socket) =>
      socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id":')),
    );
    const port = await listen(server);
    try {
      const err = await fetchError(`http://127.0.0.1:${port}/`);
      expect(classifyStructured(err)).toBe('provider_failure');
    } finally {
      await close(server);
    }
  });
});
