import { ValidationError } from '@agentrace/pricing';
import { errorChain, readProp } from './classify-error.js';

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

function fromNode(node: object, now: number): number | undefined {
  const field = readProp(node, 'retryAfterMs');
  if (typeof field === 'number' && Number.isFinite(field) && field >= 0) return field;
  const headerSets = [readProp(node, 'headers'), readProp(readProp(node, 'response'), 'headers')];
  for (const headers of headerSets) {
    const ms = nonNegative(headerValue(headers, 'retry-after-ms'));
    if (ms !== undefined) return ms;
  }
  for (const headers of headerSets) {
    const ms = fromRetryAfter(headerValue(headers, 'retry-after'), now);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/**
 * How long the provider asked the caller to wait before retrying, in milliseconds, or `undefined` when
 * it did not say. Never throws for a strange error object.
 *
 * Looked for on the error, then along its `cause` chain (the first error that says wins), in this order:
 * a `retryAfterMs` number on the error; a `retry-after-ms` header (OpenAI's, milliseconds); a
 * `retry-after` header as seconds or as an HTTP date. Headers are read from `headers` or
 * `response.headers`, either a `Headers`-like object with `get` or a plain object with keys in any case.
 * Invalid and negative values are skipped; an HTTP date in the past gives 0.
 *
 * @throws {ValidationError} `now` is given and is not a finite number.
 * @example
 * ```ts
 * const err = Object.assign(new Error('rate limited'), { status: 429, headers: { 'Retry-After': '2' } });
 * retryAfterMs(err); // 2000
 * ```
 */
export function retryAfterMs(err: unknown, opts: RetryAfterOptions = {}): number | undefined {
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
