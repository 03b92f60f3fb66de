import { ValidationError } from '@agentrace/pricing';
import { readProp } from '../common/read-prop.js';
import {
  classifyError,
  codesOf,
  errorBodies,
  errorChain,
  httpStatusOf,
  statusOfNode,
} from './classify-error.js';
import { FailureScenario } from './failure-scenario.js';

/** Options of {@link retryAfterMs}. */
export interface RetryAfterOptions {
  /** The current wall-clock time in epoch ms, to turn an HTTP-date `Retry-After` into a delay. Default `Date.now()`. */
  now?: number;
}

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;
// All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with the day name. Requiring it keeps
// `Date.parse`'s leniency ("-1", "2") from turning garbage into a date.
const HTTP_DATE = /^\s*(?:mon|tue|wed|thu|fri|sat|sun)/i;

function nonNegative(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
  return undefined;
}

/** One header from a `Headers`-like object (anything with `get`) or a plain object with keys in any case. */
function headerValue(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  try {
    const get = (headers as { get?: unknown }).get;
    if (typeof get === 'function') return get.call(headers, name) ?? undefined;
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() !== name) continue;
      const value = (headers as Record<string, unknown>)[key];
      // Node's IncomingHttpHeaders may hold a repeated header as an array.
      return Array.isArray(value) ? value[0] : value;
    }
  } catch {
    // A throwing getter or Proxy means no usable header, never a second error while handling the first.
  }
  return undefined;
}

function fromRetryAfter(value: unknown, now: number): number | undefined {
  const seconds = nonNegative(value);
  if (seconds !== undefined) return seconds * 1000;
  if (typeof value !== 'string' || !HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  // A date already past (or clock skew) means "retry now", not "ignore the provider".
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * The header sets an error carries: `headers` (OpenAI and Anthropic SDKs: a `Headers`), `response.headers`
 * (axios, fetch wrappers) and `responseHeaders` (the AI SDK's `APICallError`: a plain object).
 */
function headerSetsOf(node: object): unknown[] {
  return [
    readProp(node, 'headers'),
    readProp(readProp(node, 'response'), 'headers'),
    readProp(node, 'responseHeaders'),
  ];
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';
// A protobuf Duration in its JSON form: "17s", "0.250s".
const DURATION = /^\s*(\d+(?:\.\d+)?)s\s*$/;

/**
 * Google's way of saying it: a `google.rpc.RetryInfo` in the error body's `details`
 * (`{ "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s" }`), which Gemini sends
 * with its 429s instead of a `Retry-After` header.
 */
function fromRetryInfo(node: object): number | undefined {
  for (const body of errorBodies(node)) {
    for (const holder of [body, readProp(body, 'error')]) {
      const details = readProp(holder, 'details');
      if (!Array.isArray(details)) continue;
      for (const detail of details) {
        if (readProp(detail, '@type') !== RETRY_INFO_TYPE) continue;
        const delay = readProp(detail, 'retryDelay');
        const match = typeof delay === 'string' ? DURATION.exec(delay) : null;
        if (match?.[1] !== undefined) return Number(match[1]) * 1000;
      }
    }
  }
  return undefined;
}

function fromNode(node: object, now: number): number | undefined {
  const field = readProp(node, 'retryAfterMs');
  if (typeof field === 'number' && Number.isFinite(field) && field >= 0) return field;
  const headerSets = headerSetsOf(node);
  for (const headers of headerSets) {
    const ms = nonNegative(headerValue(headers, 'retry-after-ms'));
    if (ms !== undefined) return ms;
  }
  for (const headers of headerSets) {
    const ms = fromRetryAfter(headerValue(headers, 'retry-after'), now);
    if (ms !== undefined) return ms;
  }
  return fromRetryInfo(node);
}

/**
 * How long the provider asked the caller to wait before retrying, in milliseconds, or `undefined` when
 * it did not say. Never throws for a strange error object.
 *
 * Looked for on the error, then along its `cause` chain (the first error that says wins; the AI SDK's
 * `RetryError` is followed to its `lastError`), in this order: a `retryAfterMs` number on the error; a
 * `retry-after-ms` header (OpenAI's and Anthropic's, milliseconds); a `retry-after` header as seconds or
 * as an HTTP date; a `google.rpc.RetryInfo` `retryDelay` in a Google error body (Gemini's 429s). Headers
 * are read from `headers` (OpenAI/Anthropic SDK errors), `response.headers` (axios) or `responseHeaders`
 * (the AI SDK's `APICallError`), either a `Headers`-like object with `get` or a plain object with keys in
 * any case. Invalid and negative values are skipped; an HTTP date in the past gives 0.
 *
 * @throws {ValidationError} `now` is given and is not a finite number.
 * @example
 * ```ts
 * const err = Object.assign(new Error('rate limited'), { status: 429, headers: { 'Retry-After': '2' } });
 * retryAfterMs(err); // 2000
 * ```
 */
export function retryAfterMs(err: unknown, opts: RetryAfterOptions = {}): number | undefined {
  if (typeof opts !== 'object' || opts === null) {
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  }
  const now = opts.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new ValidationError({
      field: 'now',
      value: now,
      expected: 'a finite number of epoch milliseconds',
    });
  }
  for (const node of errorChain(err)) {
    const ms = fromNode(node, now);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/**
 * Codes that no retry of the same request fixes: a spent quota or billing limit (OpenAI sends
 * `insufficient_quota` as a 429), bad credentials, a request the provider rejects as too large or invalid.
 */
const NEVER_RETRYABLE_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_error',
  'authentication_error',
  'permission_error',
  'invalid_api_key',
  'context_length_exceeded',
  'request_too_large',
  'invalid_request_error',
  'not_found_error',
]);

/** `x-should-retry: true|false`, which OpenAI and Anthropic send and their SDKs obey. */
function shouldRetryHeader(node: object): boolean | undefined {
  for (const headers of headerSetsOf(node)) {
    const value = headerValue(headers, 'x-should-retry');
    if (value === 'true') return true;
    if (value === 'false') return false;
  }
  return undefined;
}

/**
 * Whether sending the same request again (after {@link retryAfterMs}, or a backoff) can succeed. Never
 * throws. Looked at on the error and along its `cause` chain, first answer wins:
 *
 * 1. a code that no retry fixes — `insufficient_quota`, `billing_error`, `billing_hard_limit_reached`,
 *    `authentication_error`, `permission_error`, `invalid_api_key`, `context_length_exceeded`,
 *    `request_too_large`, `invalid_request_error`, `not_found_error`, or the AWS
 *    `ServiceQuotaExceededException` — is `false`, whatever the status: a spent quota is not retried as a
 *    rate limit;
 * 2. an `x-should-retry: true|false` response header (OpenAI, Anthropic) is obeyed;
 * 3. the scenario ({@link classifyError}): `rate_limit` and `llm_timeout` are retryable (the SDKs'
 *    "Request timed out." included); `provider_failure` is when it is a 5xx (Anthropic's 529 included) or
 *    has no status (a refused or reset connection), not for 401/402/403/407; `context_overflow`,
 *    `memory_corruption`, `tool_execution_error` and `dependency_timeout` are not;
 * 4. for a plain `llm_error`, an `isRetryable` flag on the error (the AI SDK's `APICallError`) decides,
 *    else a 409 (a lock timeout, which the provider SDKs retry) is retryable and anything else is not.
 *
 * An `AbortError` counts as a timeout here (retryable); tell a user's own cancellation apart first.
 *
 * @example
 * ```ts
 * isRetryableError(Object.assign(new Error('429 Rate limit reached'), { status: 429 })); // true
 * isRetryableError(Object.assign(new Error('429 You exceeded your current quota'), {
 *   status: 429, code: 'insufficient_quota',
 * })); // false
 * ```
 */
export function isRetryableError(err: unknown): boolean {
  const chain = errorChain(err);
  for (const node of chain) {
    if (codesOf(node).some((code) => NEVER_RETRYABLE_CODES.has(code))) return false;
    if (readProp(node, 'name') === 'ServiceQuotaExceededException') return false;
  }
  for (const node of chain) {
    const told = shouldRetryHeader(node);
    if (told !== undefined) return told;
  }
  switch (classifyError(err)) {
    case FailureScenario.RATE_LIMIT:
    case FailureScenario.LLM_TIMEOUT:
      return true;
    case FailureScenario.PROVIDER_FAILURE: {
      const status = httpStatusOf(err);
      return status === undefined || status >= 500;
    }
    case FailureScenario.LLM_ERROR:
      // Nothing told what went wrong; the flag or status below may.
      break;
    default:
      return false;
  }
  for (const node of chain) {
    const flag = readProp(node, 'isRetryable');
    if (typeof flag === 'boolean') return flag;
  }
  return chain.some((node) => statusOfNode(node) === 409);
}
