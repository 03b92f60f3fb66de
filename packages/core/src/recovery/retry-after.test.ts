import { describe, expect, it, vi } from 'vitest';
import {
  ANTHROPIC_OVERLOADED,
  ANTHROPIC_PROMPT_TOO_LONG,
  ANTHROPIC_RATE_LIMIT,
  aiSdkAPICallError,
  aiSdkRetryError,
  anthropicError,
  awsServiceException,
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
import { isRetryableError, retryAfterMs } from './retry-after.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const withProps = (props: Record<string, unknown>) => Object.assign(new Error('rate limited'), props);

describe('retryAfterMs', () => {
  it('reads a retryAfterMs field', () => {
    expect(retryAfterMs(withProps({ retryAfterMs: 1500 }))).toBe(1500);
    expect(retryAfterMs(withProps({ retryAfterMs: 0 }))).toBe(0);
  });

  it('reads retry-after-ms and retry-after from a plain header object, in any case', () => {
    expect(retryAfterMs(withProps({ headers: { 'retry-after-ms': '250' } }))).toBe(250);
    expect(retryAfterMs(withProps({ headers: { 'Retry-After-Ms': '12.5' } }))).toBe(12.5);
    expect(retryAfterMs(withProps({ headers: { 'Retry-After': '2' } }))).toBe(2000);
    expect(retryAfterMs(withProps({ headers: { 'RETRY-AFTER': 3 } }))).toBe(3000);
    expect(retryAfterMs(withProps({ headers: { 'retry-after': ['4', '5'] } }))).toBe(4000);
  });

  it('reads a Headers object', () => {
    expect(retryAfterMs(withProps({ headers: new Headers({ 'Retry-After': '7' }) }))).toBe(7000);
    expect(retryAfterMs(withProps({ headers: new Headers({ 'retry-after-ms': '90' }) }))).toBe(90);
    expect(retryAfterMs(withProps({ headers: new Headers({ 'x-other': '1' }) }))).toBeUndefined();
  });

  it('reads response.headers (axios style)', () => {
    expect(retryAfterMs(withProps({ response: { status: 429, headers: { 'retry-after': '1' } } }))).toBe(
      1000,
    );
    expect(retryAfterMs(withProps({ response: { headers: new Headers({ 'retry-after-ms': '5' }) } }))).toBe(
      5,
    );
  });

  it('reads an HTTP date relative to now', () => {
    const at = new Date(NOW + 30_000).toUTCString();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }), { now: NOW })).toBe(30_000);
    // asctime form
    const asctime = withProps({ headers: { 'retry-after': 'Thu Jan 15 12:00:10 2026 GMT' } });
    expect(retryAfterMs(asctime, { now: NOW })).toBe(10_000);
  });

  it('gives 0 for an HTTP date already past', () => {
    const at = new Date(NOW - 5_000).toUTCString();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }), { now: NOW })).toBe(0);
  });

  it('uses Date.now() when no now is given', () => {
    vi.useFakeTimers({ now: NOW });
    try {
      const at = new Date(NOW + 3_600_000).toUTCString();
      expect(retryAfterMs(withProps({ headers: { 'retry-after': at } }))).toBe(3_600_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('prefers the field, then retry-after-ms, then retry-after', () => {
    const headers = { 'retry-after': '9', 'retry-after-ms': '300' };
    expect(retryAfterMs(withProps({ retryAfterMs: 42, headers }))).toBe(42);
    expect(retryAfterMs(withProps({ headers }))).toBe(300);
    // retry-after-ms in response.headers still beats retry-after in headers.
    expect(
      retryAfterMs(
        withProps({ headers: { 'retry-after': '9' }, response: { headers: { 'retry-after-ms': '8' } } }),
      ),
    ).toBe(8);
  });

  it('skips invalid and negative values and falls through to the next source', () => {
    expect(retryAfterMs(withProps({ retryAfterMs: -1, headers: { 'retry-after': '2' } }))).toBe(2000);
    expect(retryAfterMs(withProps({ retryAfterMs: Number.NaN }))).toBeUndefined();
    expect(retryAfterMs(withProps({ retryAfterMs: Number.POSITIVE_INFINITY }))).toBeUndefined();
    expect(retryAfterMs(withProps({ retryAfterMs: '100' }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: { 'retry-after-ms': '-5', 'retry-after': '1' } }))).toBe(1000);
    for (const bad of ['-1', '', ' ', 'soon', '1e3', '2 seconds', 'Fri, garbage', '0x10']) {
      expect(retryAfterMs(withProps({ headers: { 'retry-after': bad } }), { now: NOW })).toBeUndefined();
    }
    expect(retryAfterMs(withProps({ headers: { 'retry-after': -3 } }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: { 'retry-after': null } }))).toBeUndefined();
    expect(retryAfterMs(withProps({ headers: 'retry-after: 1' }))).toBeUndefined();
  });

  it('walks the cause chain; the outermost error that says wins', () => {
    const inner = withProps({ headers: { 'retry-after': '5' } });
    expect(retryAfterMs(new Error('wrapped', { cause: inner }))).toBe(5000);
    expect(retryAfterMs(withProps({ retryAfterMs: 10, cause: inner }))).toBe(10);
  });

  it('survives cycles, hostile objects and non-errors', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = new Error('b', { cause: a });
    expect(retryAfterMs(a)).toBeUndefined();
    const throwingHeaders = {
      get() {
        throw new Error('boom');
      },
    };
    expect(retryAfterMs(withProps({ headers: throwingHeaders }))).toBeUndefined();
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(retryAfterMs(withProps({ headers: hostile }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('Retry-After: 5')).toBeUndefined();
  });

  it('rejects a bad now, naming it', () => {
    expect(() => retryAfterMs(new Error('x'), { now: Number.NaN })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'now' }),
    );
  });
});

describe('retryAfterMs: provider client errors', () => {
  it('reads the Headers of OpenAI and Anthropic SDK errors', () => {
    expect(
      retryAfterMs(
        openAIError({ status: 429, body: OPENAI_RATE_LIMIT, headers: { 'retry-after-ms': '1400' } }),
      ),
    ).toBe(1400);
    expect(
      retryAfterMs(
        anthropicError({ status: 429, body: ANTHROPIC_RATE_LIMIT, headers: { 'retry-after': '17' } }),
      ),
    ).toBe(17_000);
    expect(retryAfterMs(anthropicError({ status: 529, body: ANTHROPIC_OVERLOADED }))).toBeUndefined();
  });

  it("reads the AI SDK's plain responseHeaders, also through a RetryError's lastError", () => {
    const apiCallError = aiSdkAPICallError({
      statusCode: 429,
      body: OPENAI_RATE_LIMIT,
      responseHeaders: { 'retry-after': '3', 'content-type': 'application/json' },
    });
    expect(retryAfterMs(apiCallError)).toBe(3000);
    const retryError = aiSdkRetryError([aiSdkAPICallError({ statusCode: 503 }), apiCallError]);
    expect(retryAfterMs(retryError)).toBe(3000);
  });

  it("reads Gemini's RetryInfo retryDelay from the ApiError message and from an AI SDK body", () => {
    expect(retryAfterMs(geminiApiError(GEMINI_RESOURCE_EXHAUSTED))).toBe(17_000);
    expect(retryAfterMs(aiSdkAPICallError({ statusCode: 429, body: GEMINI_RESOURCE_EXHAUSTED }))).toBe(
      17_000,
    );
    const fractional = {
      error: { ...GEMINI_RESOURCE_EXHAUSTED.error, details: [{ '@type': RETRY_INFO, retryDelay: '0.250s' }] },
    };
    expect(retryAfterMs(geminiApiError(fractional))).toBe(250);
  });

  it('a Retry-After header wins over RetryInfo; bad RetryInfo is skipped', () => {
    const err = aiSdkAPICallError({
      statusCode: 429,
      body: GEMINI_RESOURCE_EXHAUSTED,
      responseHeaders: { 'retry-after': '1' },
    });
    expect(retryAfterMs(err)).toBe(1000);
    for (const retryDelay of ['17', '-1s', 'soon', 17]) {
      const body = {
        error: { ...GEMINI_RESOURCE_EXHAUSTED.error, details: [{ '@type': RETRY_INFO, retryDelay }] },
      };
      expect(retryAfterMs(withProps({ error: body.error }))).toBeUndefined();
    }
    expect(retryAfterMs(withProps({ error: { details: 'none' } }))).toBeUndefined();
  });
});

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

describe('isRetryableError', () => {
  it.each([
    ['OpenAI 429 rate limit', () => openAIError({ status: 429, body: OPENAI_RATE_LIMIT }), true],
    [
      'OpenAI 429 insufficient_quota',
      () => openAIError({ status: 429, body: OPENAI_INSUFFICIENT_QUOTA }),
      false,
    ],
    [
      'OpenAI 400 context_length_exceeded',
      () => openAIError({ status: 400, body: OPENAI_CONTEXT_LENGTH }),
      false,
    ],
    [
      'OpenAI 401',
      () =>
        openAIError({
          status: 401,
          body: {
            error: {
              message: 'Incorrect API key provided',
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_api_key',
            },
          },
        }),
      false,
    ],
    ['OpenAI connection timeout', () => openAIConnectionTimeoutError(), true],
    [
      'OpenAI connection error over ECONNRESET',
      () =>
        openAIConnectionError(new TypeError('fetch failed', { cause: withProps({ code: 'ECONNRESET' }) })),
      true,
    ],
    ['Anthropic 529 overloaded', () => anthropicError({ status: 529, body: ANTHROPIC_OVERLOADED }), true],
    [
      'Anthropic 429 rate_limit_error',
      () => anthropicError({ status: 429, body: ANTHROPIC_RATE_LIMIT }),
      true,
    ],
    [
      'Anthropic 400 prompt too long',
      () => anthropicError({ status: 400, body: ANTHROPIC_PROMPT_TOO_LONG }),
      false,
    ],
    ['Gemini 429 RESOURCE_EXHAUSTED', () => geminiApiError(GEMINI_RESOURCE_EXHAUSTED), true],
    ['Gemini 503', () => geminiApiError(GEMINI_UNAVAILABLE), true],
    [
      'AI SDK 429 quota (its own isRetryable says true)',
      () => aiSdkAPICallError({ statusCode: 429, body: OPENAI_INSUFFICIENT_QUOTA }),
      false,
    ],
    ['AI SDK 409', () => aiSdkAPICallError({ statusCode: 409 }), true],
    ['AI SDK 404', () => aiSdkAPICallError({ statusCode: 404 }), false],
    ['AI SDK flagged retryable without a status', () => aiSdkAPICallError({ isRetryable: true }), true],
    [
      'Bedrock ServiceQuotaExceededException',
      () => awsServiceException({ name: 'ServiceQuotaExceededException', status: 400, message: 'quota' }),
      false,
    ],
    [
      'Bedrock ThrottlingException',
      () => awsServiceException({ name: 'ThrottlingException', status: 429, message: 'slow down' }),
      true,
    ],
    ['a 403', () => withProps({ status: 403 }), false],
    ['a JSON SyntaxError', () => new SyntaxError('Unexpected end of JSON input'), false],
    ['a 409 without a flag', () => withProps({ status: 409 }), true],
    ['a plain message', () => new Error('something odd'), false],
    ['a tool failure', () => new Error('tool search failed'), false],
    ['a timeout', () => new DOMException('The operation timed out', 'TimeoutError'), true],
  ])('%s → %s', (_label, make, retryable) => {
    expect(isRetryableError(make())).toBe(retryable);
  });

  it('obeys x-should-retry, but never retries a spent quota', () => {
    const headers = { 'x-should-retry': 'false' };
    expect(isRetryableError(anthropicError({ status: 529, body: ANTHROPIC_OVERLOADED, headers }))).toBe(
      false,
    );
    const retryable400 = openAIError({
      status: 400,
      body: { error: { message: 'try again', type: 'server_hiccup', param: null, code: null } },
      headers: { 'x-should-retry': 'true' },
    });
    expect(isRetryableError(retryable400)).toBe(true);
    const quota = openAIError({
      status: 429,
      body: OPENAI_INSUFFICIENT_QUOTA,
      headers: { 'x-should-retry': 'true' },
    });
    expect(isRetryableError(quota)).toBe(false);
    expect(isRetryableError(withProps({ headers: { 'x-should-retry': 'maybe' }, status: 500 }))).toBe(true);
  });

  it('never throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(isRetryableError(hostile)).toBe(false);
    expect(isRetryableError(undefined)).toBe(false);
    expect(isRetryableError('429')).toBe(false);
  });
});

// Found by the reliability fuzzer: a null options object was a TypeError.
describe('retryAfterMs with options that are not an object', () => {
  it.each([null, 5, 'x'])('%o is refused with a ValidationError naming options', (options) => {
    expect(() => retryAfterMs(new Error('x'), options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'options' }),
    );
  });
});
