/**
 * Errors laid out field for field as the provider clients throw them, for classification tests that run
 * without the clients installed. Each builder names the client version whose source it follows; the
 * integration tests with the real packages check the same classifications against the real classes.
 */

/** An error body as OpenAI sends it: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** `openai` 7.x `APIError` (core/error.js): status, headers, request id, the body's `error`, and its code/param/type. */
export function openAIError(init: {
  status: number;
  body: OpenAIErrorBody;
  headers?: Record<string, string>;
}): Error {
  const headers = new Headers({ 'x-request-id': 'req_8c2f6d0e', ...init.headers });
  const error = init.body.error;
  const err = new Error(`${init.status} ${error.message}`);
  return Object.assign(err, {
    status: init.status,
    headers,
    requestID: headers.get('x-request-id'),
    error,
    code: error.code,
    param: error.param,
    type: error.type,
  });
}

/** `openai` 7.x `APIConnectionError`: no status, the fetch failure as `cause`. */
export function openAIConnectionError(cause: unknown): Error {
  return Object.assign(new Error('Connection error.'), { status: undefined, headers: undefined, cause });
}

/** `openai` 7.x `APIConnectionTimeoutError`: only a message. */
export function openAIConnectionTimeoutError(): Error {
  return Object.assign(new Error('Request timed out.'), { status: undefined, headers: undefined });
}

/** An error body as Anthropic sends it. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

const ANTHROPIC_ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  402: 'PaymentRequiredError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  413: 'ContentTooLargeError',
  429: 'RateLimitError',
  500: 'InternalServerError',
  504: 'GatewayTimeoutError',
  529: 'OverloadedError',
};

/**
 * `@anthropic-ai/sdk` 1.x `APIError` subclass for a status (core/error.js): `name` is the class name, the
 * whole body is `error`, its `error.type` is `type`.
 */
export function anthropicError(init: {
  status: number;
  body: AnthropicErrorBody;
  headers?: Record<string, string>;
}): Error {
  const headers = new Headers({ 'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy', ...init.headers });
  const err = new Error(`${init.status} ${JSON.stringify(init.body)}`);
  Object.defineProperty(err, 'name', {
    value: ANTHROPIC_ERROR_NAMES[init.status] ?? 'APIError',
    writable: true,
    configurable: true,
  });
  return Object.assign(err, {
    status: init.status,
    headers,
    requestID: headers.get('request-id'),
    error: init.body,
    apiMessage: init.body.error.message,
    type: init.body.error.type,
    errorCode: null,
    details: null,
  });
}

/**
 * The AI SDK's `APICallError` (`@ai-sdk/provider` 4.x): `statusCode`, plain-object `responseHeaders`, the raw
 * `responseBody`, the parsed body as `data`, and `isRetryable` (408, 409, 429, 5xx unless the provider
 * package says otherwise).
 */
export function aiSdkAPICallError(init: {
  statusCode?: number;
  body?: object;
  message?: string;
  responseHeaders?: Record<string, string>;
  cause?: unknown;
  isRetryable?: boolean;
}): Error {
  const { statusCode } = init;
  const err = new Error(init.message ?? 'API call failed', { cause: init.cause });
  err.name = 'AI_APICallError';
  return Object.assign(err, {
    url: 'https://api.example.test/v1/chat/completions',
    requestBodyValues: { model: 'gpt-4o' },
    statusCode,
    responseHeaders: init.responseHeaders ?? (statusCode === undefined ? undefined : {}),
    responseBody: init.body === undefined ? undefined : JSON.stringify(init.body),
    data: init.body,
    isRetryable:
      init.isRetryable ??
      (statusCode !== undefined &&
        (statusCode === 408 || statusCode === 409 || statusCode === 429 || statusCode >= 500)),
  });
}

/** The AI SDK's `RetryError` (`ai` 7.x util/retry-error): every attempt's error, the last as `lastError`, no `cause`. */
export function aiSdkRetryError(errors: unknown[]): Error {
  const err = new Error(`Failed after ${errors.length} attempts. Last error: ${String(errors.at(-1))}`);
  err.name = 'AI_RetryError';
  return Object.assign(err, { reason: 'maxRetriesExceeded', errors, lastError: errors.at(-1) });
}

/** A Google error body: `{ error: { code, message, status, details? } }`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: object[] };
}

/** `@google/genai` 3.x `ApiError`: `name` `ApiError`, `status`, and the JSON body as the message. */
export function geminiApiError(body: GoogleErrorBody): Error {
  const err = new Error(JSON.stringify(body));
  err.name = 'ApiError';
  return Object.assign(err, { status: body.error.code });
}

/** An AWS SDK v3 service exception (Bedrock Runtime): `name`, `$fault`, `$metadata.httpStatusCode`. */
export function awsServiceException(init: { name: string; status: number; message: string }): Error {
  const err = new Error(init.message);
  err.name = init.name;
  return Object.assign(err, {
    $fault: init.status >= 500 ? 'server' : 'client',
    $metadata: {
      httpStatusCode: init.status,
      requestId: '5d2e7c9a-0b51-4a3e-9f4e-1c7d2f0a6b3e',
      attempts: 1,
      totalRetryDelay: 0,
    },
  });
}

export const OPENAI_RATE_LIMIT: OpenAIErrorBody = {
  error: {
    message:
      'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 1200. Please try again in 1.4s.',
    type: 'tokens',
    param: null,
    code: 'rate_limit_exceeded',
  },
};

export const OPENAI_INSUFFICIENT_QUOTA: OpenAIErrorBody = {
  error: {
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    type: 'insufficient_quota',
    param: null,
    code: 'insufficient_quota',
  },
};

export const OPENAI_CONTEXT_LENGTH: OpenAIErrorBody = {
  error: {
    message:
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
};

export const ANTHROPIC_OVERLOADED: AnthropicErrorBody = {
  type: 'error',
  error: { type: 'overloaded_error', message: 'Overloaded' },
  request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
};

export const ANTHROPIC_RATE_LIMIT: AnthropicErrorBody = {
  type: 'error',
  error: {
    type: 'rate_limit_error',
    message:
      'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
  },
};

export const ANTHROPIC_PROMPT_TOO_LONG: AnthropicErrorBody = {
  type: 'error',
  error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' },
};

export const GEMINI_RESOURCE_EXHAUSTED: GoogleErrorBody = {
  error: {
    code: 429,
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            quotaValue: '10',
          },
        ],
      },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more', url: 'x' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' },
    ],
  },
};

export const GEMINI_CONTEXT_TOO_LONG: GoogleErrorBody = {
  error: {
    code: 400,
    message: 'The input token count (1200345) exceeds the maximum number of tokens allowed (1048576).',
    status: 'INVALID_ARGUMENT',
  },
};

export const GEMINI_UNAVAILABLE: GoogleErrorBody = {
  error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
};
