import { readProp } from '../common/read-prop.js';
import { FailureScenario } from './failure-scenario.js';

/** How many errors of a `cause` chain are looked at (the error itself included). */
export const MAX_CAUSE_DEPTH = 8;

/**
 * The error followed by its `cause`s, outermost first: at most {@link MAX_CAUSE_DEPTH} objects, each once
 * (a cause cycle ends the walk). Non-object causes end it too. An error without a `cause` but with a
 * `lastError` (the AI SDK's `RetryError`, thrown once its own retries are spent) continues with that.
 *
 * @internal shared with `retry-after.ts`.
 */
export function errorChain(err: unknown): object[] {
  const chain: object[] = [];
  const seen = new Set<object>();
  let node = err;
  while (typeof node === 'object' && node !== null && !seen.has(node) && chain.length < MAX_CAUSE_DEPTH) {
    seen.add(node);
    chain.push(node);
    node = readProp(node, 'cause') ?? readProp(node, 'lastError');
  }
  return chain;
}

/** Bodies larger than this are not parsed: an error body worth reading is a few hundred bytes. */
const MAX_PARSED_BODY = 32_768;

function parseJsonObject(text: unknown): object | undefined {
  if (typeof text !== 'string' || text.length > MAX_PARSED_BODY) return undefined;
  // `@google/genai` puts the body after a prefix in streamed errors ("got status: …. {…}").
  const start = text.indexOf('{');
  if (start < 0 || !text.trimEnd().endsWith('}')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The provider error bodies an error object carries, parsed: `error` (OpenAI and Anthropic SDKs keep the
 * body or its `error` member there), `data` (the AI SDK's `APICallError`, the body parsed by the provider
 * package), `responseBody` (the same, raw JSON text) and a message that is itself JSON (`@google/genai`'s
 * `ApiError`).
 *
 * @internal shared with `retry-after.ts`.
 */
export function errorBodies(node: object): object[] {
  const bodies: object[] = [];
  for (const candidate of [
    readProp(node, 'error'),
    readProp(node, 'data'),
    parseJsonObject(readProp(node, 'responseBody')),
    parseJsonObject(readProp(node, 'message')),
  ]) {
    if (typeof candidate === 'object' && candidate !== null) bodies.push(candidate);
  }
  return bodies;
}

function asHttpStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/**
 * Where HTTP clients and provider SDKs put the status: `status` (fetch `Response`, OpenAI/Anthropic SDKs),
 * `statusCode` (Node, got), `response.status` (axios), `$metadata.httpStatusCode` (AWS SDK v3, i.e.
 * Bedrock), a numeric `code` and the nested `error.status`/`error.code` of a Google-style error body. Only
 * integers 100–599 count, so gRPC codes (0–16) and Node's string codes never pass for a status.
 *
 * @internal shared with `retry-after.ts`.
 */
export function statusOfNode(node: object): number | undefined {
  const response = readProp(node, 'response');
  const body = readProp(node, 'error');
  const candidates = [
    () => readProp(node, 'status'),
    () => readProp(node, 'statusCode'),
    () => readProp(response, 'status'),
    () => readProp(response, 'statusCode'),
    () => readProp(readProp(node, '$metadata'), 'httpStatusCode'),
    () => readProp(node, 'code'),
    () => readProp(body, 'status'),
    () => readProp(body, 'code'),
  ];
  for (const candidate of candidates) {
    const status = asHttpStatus(candidate());
    if (status !== undefined) return status;
  }
  return undefined;
}

/**
 * The HTTP status of a failed call: the first one found on the error or along its `cause` chain, read from
 * `status`, `statusCode`, `response.status`, `response.statusCode`, `$metadata.httpStatusCode`, a numeric
 * `code`, or a nested `error.status` / `error.code`. `undefined` when there is none.
 *
 * @example
 * ```ts
 * httpStatusOf(Object.assign(new Error('slow down'), { status: 429 })); // 429
 * httpStatusOf(new Error('x', { cause: { response: { status: 503 } } })); // 503
 * ```
 */
export function httpStatusOf(err: unknown): number | undefined {
  for (const node of errorChain(err)) {
    const status = statusOfNode(node);
    if (status !== undefined) return status;
  }
  return undefined;
}

/**
 * Scenario of an HTTP status. Statuses not listed (400, 404, 409, 422, …) decide nothing: a 400 is as
 * often a context overflow as a bad argument, so the error's type, code or message has to tell.
 */
function scenarioForStatus(status: number): FailureScenario | undefined {
  switch (status) {
    case 429:
      return FailureScenario.RATE_LIMIT;
    case 408: // request timeout
    case 504: // gateway timeout
    case 522: // Cloudflare: connection to the origin timed out
    case 524: // Cloudflare: the origin did not answer in time
      return FailureScenario.LLM_TIMEOUT;
    case 413:
      return FailureScenario.CONTEXT_OVERFLOW;
    case 401:
    case 402: // payment required: billing, not load
    case 403:
    case 407:
      // Credentials are the provider side of the call; retrying the same provider will not fix them, the
      // provider_failure recipe switches provider first.
      return FailureScenario.PROVIDER_FAILURE;
  }
  // Every 5xx (500, 502, 503, Anthropic's 529, …) is the provider failing.
  return status >= 500 ? FailureScenario.PROVIDER_FAILURE : undefined;
}

/**
 * Provider error types/codes and Node/undici error codes, lower-cased. Kept in one table because both
 * arrive in `code`.
 */
const SCENARIO_BY_CODE: ReadonlyMap<string, FailureScenario> = new Map([
  // Rate limits: Anthropic `rate_limit_error`, OpenAI `rate_limit_exceeded`, Google `RESOURCE_EXHAUSTED`.
  ['rate_limit_error', FailureScenario.RATE_LIMIT],
  ['rate_limit_exceeded', FailureScenario.RATE_LIMIT],
  ['resource_exhausted', FailureScenario.RATE_LIMIT],
  // A spent quota is not a rate limit (OpenAI sends it with a 429): waiting will not help, another
  // provider might. Billing errors are the same story.
  ['insufficient_quota', FailureScenario.PROVIDER_FAILURE],
  ['billing_hard_limit_reached', FailureScenario.PROVIDER_FAILURE],
  ['billing_error', FailureScenario.PROVIDER_FAILURE],
  ['overloaded_error', FailureScenario.PROVIDER_FAILURE],
  ['api_error', FailureScenario.PROVIDER_FAILURE],
  ['server_error', FailureScenario.PROVIDER_FAILURE],
  ['authentication_error', FailureScenario.PROVIDER_FAILURE],
  ['permission_error', FailureScenario.PROVIDER_FAILURE],
  ['invalid_api_key', FailureScenario.PROVIDER_FAILURE],
  ['unavailable', FailureScenario.PROVIDER_FAILURE],
  ['deadline_exceeded', FailureScenario.LLM_TIMEOUT],
  // Anthropic's 504 body type.
  ['timeout_error', FailureScenario.LLM_TIMEOUT],
  ['context_length_exceeded', FailureScenario.CONTEXT_OVERFLOW],
  ['request_too_large', FailureScenario.CONTEXT_OVERFLOW],
  // Node/undici: the connection could not be made or was lost.
  ['econnrefused', FailureScenario.PROVIDER_FAILURE],
  ['econnreset', FailureScenario.PROVIDER_FAILURE],
  ['enotfound', FailureScenario.PROVIDER_FAILURE],
  ['eai_again', FailureScenario.PROVIDER_FAILURE],
  ['epipe', FailureScenario.PROVIDER_FAILURE],
  ['enetunreach', FailureScenario.PROVIDER_FAILURE],
  ['ehostunreach', FailureScenario.PROVIDER_FAILURE],
  ['und_err_socket', FailureScenario.PROVIDER_FAILURE],
  // Bun's fetch.
  ['connectionrefused', FailureScenario.PROVIDER_FAILURE],
  ['connectionclosed', FailureScenario.PROVIDER_FAILURE],
  ['failedtoopensocket', FailureScenario.PROVIDER_FAILURE],
  // Node/undici/axios: the connection or the answer took too long.
  ['etimedout', FailureScenario.LLM_TIMEOUT],
  ['econnaborted', FailureScenario.LLM_TIMEOUT],
  ['und_err_connect_timeout', FailureScenario.LLM_TIMEOUT],
  ['und_err_headers_timeout', FailureScenario.LLM_TIMEOUT],
  ['und_err_body_timeout', FailureScenario.LLM_TIMEOUT],
]);

/**
 * The string codes an error carries: its own `code`/`type`, and `type`/`code`/`status` of each body
 * ({@link errorBodies}) and of the body's `error` member, lower-cased. Covers OpenAI (`err.code`,
 * `err.error.code`), Anthropic (`err.type`, `err.error.error.type`), the AI SDK (`err.data.error.code`,
 * `err.data.error.type`, `err.data.error.status`) and Google (`{ error: { status: 'RESOURCE_EXHAUSTED' } }`).
 *
 * @internal shared with `retry-after.ts`.
 */
export function codesOf(node: object, bodies: readonly object[] = errorBodies(node)): string[] {
  const values = [readProp(node, 'code'), readProp(node, 'type')];
  for (const body of bodies) {
    const inner = readProp(body, 'error');
    values.push(
      readProp(body, 'type'),
      readProp(body, 'code'),
      readProp(body, 'status'),
      readProp(inner, 'type'),
      readProp(inner, 'code'),
      readProp(inner, 'status'),
    );
  }
  const codes: string[] = [];
  for (const value of values) if (typeof value === 'string') codes.push(value.toLowerCase());
  return codes;
}

function scenarioForCodes(codes: readonly string[]): FailureScenario | undefined {
  for (const code of codes) {
    const scenario = SCENARIO_BY_CODE.get(code);
    if (scenario !== undefined) return scenario;
  }
  return undefined;
}

/** Codes that say "the request itself is wrong": the provider's message then tells what. */
const INVALID_REQUEST_CODES = new Set(['invalid_request_error', 'invalid_argument', 'validationexception']);

/**
 * How providers word a context overflow that comes without a code of its own: Anthropic ("prompt is too
 * long: 215000 tokens > 200000 maximum", "… exceed context limit"), Bedrock ("Input is too long for
 * requested model"), Gemini ("The input token count (…) exceeds the maximum number of tokens allowed"),
 * OpenAI ("This model's maximum context length is …", "Your input exceeds the context window …").
 */
const PROVIDER_OVERFLOW_TEXT = [
  'prompt is too long',
  'input is too long',
  'exceeds the maximum number of tokens',
  'maximum context length',
  'context window',
  'context limit',
];

/**
 * A context overflow told by a rejected request's message: only when the request was rejected as invalid
 * (HTTP 400/413/422, an `invalid_request_error`/`INVALID_ARGUMENT`/`ValidationException`), so a success
 * or a server error that happens to mention a context window is not taken for one.
 */
function overflowFromProviderText(
  node: object,
  facts: { bodies: readonly object[]; codes: readonly string[]; status: number | undefined },
): boolean {
  const { bodies, codes, status } = facts;
  const rejected =
    status === 400 ||
    status === 413 ||
    status === 422 ||
    codes.some((code) => INVALID_REQUEST_CODES.has(code)) ||
    readProp(node, 'name') === 'ValidationException';
  if (!rejected) return false;
  const texts = [readProp(node, 'message')];
  for (const body of bodies) {
    texts.push(readProp(body, 'message'), readProp(readProp(body, 'error'), 'message'));
  }
  return texts.some(
    (text) =>
      typeof text === 'string' &&
      PROVIDER_OVERFLOW_TEXT.some((needle) => text.toLowerCase().includes(needle)),
  );
}

/**
 * AWS SDK v3 exceptions (Bedrock) by `name`, for the ones whose HTTP status does not already say it:
 * a spent service quota comes as a 400.
 */
const SCENARIO_BY_AWS_NAME: ReadonlyMap<string, FailureScenario> = new Map([
  ['ThrottlingException', FailureScenario.RATE_LIMIT],
  ['ServiceQuotaExceededException', FailureScenario.PROVIDER_FAILURE],
  ['ModelTimeoutException', FailureScenario.LLM_TIMEOUT],
  ['ModelErrorException', FailureScenario.PROVIDER_FAILURE],
  ['ModelNotReadyException', FailureScenario.PROVIDER_FAILURE],
  ['ServiceUnavailableException', FailureScenario.PROVIDER_FAILURE],
  ['InternalServerException', FailureScenario.PROVIDER_FAILURE],
]);

function constructorName(node: object): unknown {
  try {
    return (node as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    return undefined;
  }
}

function scenarioForName(node: object): FailureScenario | undefined {
  const name = readProp(node, 'name');
  const aws = typeof name === 'string' ? SCENARIO_BY_AWS_NAME.get(name) : undefined;
  if (aws !== undefined) return aws;
  // `AbortSignal.timeout()` aborts with a `TimeoutError` DOMException; an `AbortError` is a cancelled
  // request. A session tells a user's own cancellation apart before it classifies anything.
  if (name === 'TimeoutError' || name === 'AbortError') return FailureScenario.LLM_TIMEOUT;
  // The OpenAI and Anthropic SDKs' `APIUserAbortError` is the same cancelled request; their early releases
  // (openai 4.0) leave its `name` at `Error` and give it no cause, so its class tells.
  if (name === 'APIUserAbortError' || constructorName(node) === 'APIUserAbortError')
    return FailureScenario.LLM_TIMEOUT;
  // In practice the SyntaxError an agent meets at run time is JSON.parse failing on stored or returned state.
  if (name === 'SyntaxError' || node instanceof SyntaxError) return FailureScenario.MEMORY_CORRUPTION;
  return undefined;
}

/**
 * The scenario that the structured facts of an error decide, or `undefined` when they decide nothing and
 * only the message is left. The error and then each `cause` (up to {@link MAX_CAUSE_DEPTH}, cycle-safe)
 * are looked at in turn; on each, in this order:
 *
 * 1. a provider error type/code or Node/undici error code in `code`, `type`, or the `type`/`code`/`status` of
 *    a carried error body and of its `error` member (the body is `error` for the OpenAI and Anthropic SDKs,
 *    `data` or the JSON `responseBody` for the AI SDK's `APICallError`, the JSON message for `@google/genai`).
 *    First, because it is more precise than the status it comes with: OpenAI's `insufficient_quota` arrives
 *    as a 429 but is no rate limit. `insufficient_quota`, `billing_error` → `provider_failure`;
 *    `rate_limit_error`, `rate_limit_exceeded`, `RESOURCE_EXHAUSTED` → `rate_limit`; `overloaded_error` →
 *    `provider_failure`; `context_length_exceeded`, `request_too_large` → `context_overflow`;
 * 2. a request rejected as invalid (400, 413, 422, `invalid_request_error`, `INVALID_ARGUMENT`,
 *    `ValidationException`) whose provider message words a context overflow ("prompt is too long",
 *    "maximum context length", …) → `context_overflow`;
 * 3. an HTTP status (see {@link httpStatusOf}): 429 → `rate_limit`; 408, 504, 522, 524 → `llm_timeout`;
 *    413 → `context_overflow`; 401, 402, 403, 407 and every 5xx (Anthropic's 529 too) → `provider_failure`;
 *    others decide nothing;
 * 4. the name: `TimeoutError`/`AbortError`/`APIUserAbortError` (name or class) → `llm_timeout`,
 *    `SyntaxError` → `memory_corruption`, and the AWS SDK's Bedrock exceptions (`ThrottlingException` →
 *    `rate_limit`, `ServiceQuotaExceededException` → `provider_failure`, `ModelTimeoutException` →
 *    `llm_timeout`, …).
 *
 * The outermost error with a deciding fact wins, so a wrapper that knows better (say a 429 wrapping a
 * socket error) is believed over what it wraps.
 *
 * @example
 * ```ts
 * classifyStructured(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })); // 'provider_failure'
 * classifyStructured(new Error('rate limit reached')); // undefined: only a message
 * ```
 */
export function classifyStructured(err: unknown): FailureScenario | undefined {
  for (const node of errorChain(err)) {
    const bodies = errorBodies(node);
    const codes = codesOf(node, bodies);
    const byCode = scenarioForCodes(codes);
    if (byCode !== undefined) return byCode;
    const status = statusOfNode(node);
    if (overflowFromProviderText(node, { bodies, codes, status })) return FailureScenario.CONTEXT_OVERFLOW;
    const byStatus = status === undefined ? undefined : scenarioForStatus(status);
    if (byStatus !== undefined) return byStatus;
    const byName = scenarioForName(node);
    if (byName !== undefined) return byName;
  }
  return undefined;
}

const CONTEXT_OVERFLOW_TEXT = [
  'context length',
  'token limit',
  'maximum context',
  'too many tokens',
  'context_length_exceeded',
];
const PROVIDER_FAILURE_TEXT = [
  'connection refused',
  'connection reset',
  '503',
  '502',
  'service unavailable',
  'bad gateway',
];
const DEPENDENCY_TEXT = ['dependency', 'downstream', 'upstream', 'external service', 'dependent'];

/** The reference's message rules, in its order; `undefined` when only its default would apply. */
function matchMessage(message: string): FailureScenario | undefined {
  const text = message.toLowerCase();
  const has = (needle: string) => text.includes(needle);
  if (has('timeout') || has('timed out')) return FailureScenario.LLM_TIMEOUT;
  // The reference files a rate limit it only reads about under llm_error; kept for compatibility.
  if (has('rate limit') || has('429') || has('too many requests')) return FailureScenario.LLM_ERROR;
  if (CONTEXT_OVERFLOW_TEXT.some(has)) return FailureScenario.CONTEXT_OVERFLOW;
  if (has('corrupt') || has('malformed')) return FailureScenario.MEMORY_CORRUPTION;
  if (PROVIDER_FAILURE_TEXT.some(has)) return FailureScenario.PROVIDER_FAILURE;
  if (has('401') || has('unauthorized') || has('authentication')) return FailureScenario.PROVIDER_FAILURE;
  if (has('tool') && (has('error') || has('failed'))) return FailureScenario.TOOL_EXECUTION_ERROR;
  if (DEPENDENCY_TEXT.some(has)) return FailureScenario.DEPENDENCY_TIMEOUT;
  return undefined;
}

/**
 * The reference's message rules on their own: the text is lower-cased and tested for substrings, first
 * match wins — `timeout`/`timed out` → `llm_timeout`; `rate limit`/`429`/`too many requests` → `llm_error`;
 * `context length`/`token limit`/`maximum context`/`too many tokens`/`context_length_exceeded` →
 * `context_overflow`; `corrupt`/`malformed` → `memory_corruption`; `connection refused`/`connection reset`/
 * `503`/`502`/`service unavailable`/`bad gateway` → `provider_failure`; `401`/`unauthorized`/
 * `authentication` → `provider_failure`; `tool` with `error` or `failed` → `tool_execution_error`;
 * `dependency`/`downstream`/`upstream`/`external service`/`dependent` → `dependency_timeout`; otherwise
 * `llm_error`.
 *
 * @example
 * ```ts
 * classifyMessage('Request timed out'); // 'llm_timeout'
 * classifyMessage('HTTP 429'); // 'llm_error' (the reference's choice for a rate limit seen only in text)
 * ```
 */
export function classifyMessage(message: string): FailureScenario {
  return matchMessage(message) ?? FailureScenario.LLM_ERROR;
}

function messageOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const message = readProp(value, 'message');
    return typeof message === 'string' ? message : '';
  }
  return value === undefined || value === null ? '' : String(value);
}

/**
 * Classifies a thrown value into the {@link FailureScenario} whose recovery recipe fits it. Never throws.
 *
 * Structured facts decide first ({@link classifyStructured}): provider error types and codes, Node/undici
 * error codes, the HTTP status, `TimeoutError`/`AbortError`, `SyntaxError`, on the error and along its
 * `cause` chain. A structured rate limit (HTTP 429, `rate_limit_error`, `rate_limit_exceeded`,
 * `RESOURCE_EXHAUSTED`) is `rate_limit`.
 *
 * When nothing structured decides, the reference's message rules ({@link classifyMessage}) apply to the
 * error's message, whatever it mentions; so an error that only *says* "429" is `llm_error`, as in the
 * reference. If the outer message matches no rule, the messages of its causes are tried in turn before
 * falling back to `llm_error`, so a wrapper such as `new Error('turn failed', { cause })` does not hide a
 * telling cause. A thrown string is its own message.
 *
 * @example
 * ```ts
 * classifyError(new Error('Request timed out')); // 'llm_timeout'
 * classifyError(Object.assign(new Error('timeout'), { status: 429 })); // 'rate_limit': the status wins
 * classifyError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })); // 'provider_failure'
 * ```
 */
export function classifyError(err: unknown): FailureScenario {
  const structured = classifyStructured(err);
  if (structured !== undefined) return structured;
  const chain = errorChain(err);
  const messages = chain.length > 0 ? chain.map(messageOf) : [messageOf(err)];
  for (const message of messages) {
    const scenario = matchMessage(message);
    if (scenario !== undefined) return scenario;
  }
  return FailureScenario.LLM_ERROR;
}
