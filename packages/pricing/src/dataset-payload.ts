import { compileModelPrices, DatasetPriceFormatError } from './dataset-pricing.js';
import { DatasetUpdateError, DatasetUpdateFailure } from './dataset-update-error.js';

/** What a downloaded dataset holds, once checked. */
export interface DatasetPayload {
  /** The providers, as the dataset package takes them (`Provider[]`). */
  readonly providers: readonly unknown[];
  /** How many providers. */
  readonly providerCount: number;
  /** How many models over all providers. */
  readonly modelCount: number;
}

const MATCH_STRING_KEYS = ['equals', 'starts_with', 'ends_with', 'contains', 'regex'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a match rule the way the dataset evaluates it; returns what is wrong, or undefined. */
function checkMatch(rule: unknown, path: string): string | undefined {
  if (!isObject(rule)) return `${path} must be a match rule object`;
  if ('and' in rule || 'or' in rule) {
    const list = rule.and ?? rule.or;
    if (!Array.isArray(list)) return `${path}.${'and' in rule ? 'and' : 'or'} must be an array`;
    for (let i = 0; i < list.length; i++) {
      const problem = checkMatch(list[i], `${path}.${'and' in rule ? 'and' : 'or'}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const key = MATCH_STRING_KEYS.find((k) => k in rule);
  if (key === undefined) return `${path} has none of and, or, ${MATCH_STRING_KEYS.join(', ')}`;
  const value = rule[key];
  if (typeof value !== 'string') return `${path}.${key} must be a string`;
  if (key === 'regex') {
    try {
      new RegExp(value);
    } catch {
      return `${path}.regex is not a valid regular expression`;
    }
  }
  return undefined;
}

function checkModel(model: unknown, path: string): string | undefined {
  if (!isObject(model)) return `${path} must be an object`;
  if (typeof model.id !== 'string') return `${path}.id must be a string`;
  const problem = checkMatch(model.match, `${path}.match`);
  if (problem) return problem;
  try {
    compileModelPrices(model.prices);
  } catch (err) {
    if (err instanceof DatasetPriceFormatError) return `${path}.${err.key} ${err.reason}`;
    throw err;
  }
  return undefined;
}

function checkProvider(provider: unknown, path: string): { problem?: string; models: number } {
  if (!isObject(provider)) return { problem: `${path} must be an object`, models: 0 };
  if (typeof provider.id !== 'string') return { problem: `${path}.id must be a string`, models: 0 };
  for (const key of ['model_match', 'provider_match'] as const) {
    if (provider[key] !== undefined) {
      const problem = checkMatch(provider[key], `${path}.${key}`);
      if (problem) return { problem, models: 0 };
    }
  }
  const fallbacks = provider.fallback_model_providers;
  if (
    fallbacks !== undefined &&
    !(Array.isArray(fallbacks) && fallbacks.every((f) => typeof f === 'string'))
  ) {
    return { problem: `${path}.fallback_model_providers must be an array of provider ids`, models: 0 };
  }
  if (!Array.isArray(provider.models)) return { problem: `${path}.models must be an array`, models: 0 };
  for (let i = 0; i < provider.models.length; i++) {
    const problem = checkModel(provider.models[i], `${path}.models[${i}]`);
    if (problem) return { problem, models: 0 };
  }
  return { models: provider.models.length };
}

/**
 * Checks a downloaded dataset (the JSON at the dataset's published URL: an array of providers, each with
 * match rules and models) before it replaces the prices in use: every match rule evaluable, every token
 * price readable. Returns the problem's path and nature in words, or the payload's counts.
 */
export function checkDatasetPayload(json: unknown): { problem: string } | DatasetPayload {
  if (!Array.isArray(json)) return { problem: 'the payload must be a JSON array of providers' };
  if (json.length === 0) return { problem: 'the payload has no providers' };
  let modelCount = 0;
  for (let i = 0; i < json.length; i++) {
    const { problem, models } = checkProvider(json[i], `[${i}]`);
    if (problem) return { problem };
    modelCount += models;
  }
  return { providers: json, providerCount: json.length, modelCount };
}

/** Options of {@link fetchDatasetPayload}. */
export interface FetchDatasetOptions {
  /** Give up after this many milliseconds, body included. */
  readonly timeoutMs: number;
  /** Abort on the caller's request. */
  readonly signal?: AbortSignal | undefined;
}

function causeCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Downloads and checks a price dataset.
 *
 * @throws {DatasetUpdateError} with the reason: timeout, aborted, network, http_status or bad_payload.
 */
export async function fetchDatasetPayload(
  url: string,
  options: FetchDatasetOptions,
): Promise<DatasetPayload> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const failed = (err: unknown): DatasetUpdateError => {
    if (timeout.aborted) {
      return new DatasetUpdateError(
        {
          url,
          reason: DatasetUpdateFailure.TIMEOUT,
          detail: `no complete answer within ${options.timeoutMs} ms`,
        },
        { cause: err },
      );
    }
    if (options.signal?.aborted) {
      return new DatasetUpdateError(
        { url, reason: DatasetUpdateFailure.ABORTED, detail: 'aborted by the caller' },
        { cause: err },
      );
    }
    return new DatasetUpdateError(
      { url, reason: DatasetUpdateFailure.NETWORK, detail: causeCode(err) },
      { cause: err },
    );
  };
  let text: string;
  try {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new DatasetUpdateError({
        url,
        reason: DatasetUpdateFailure.HTTP_STATUS,
        status: response.status,
        detail: `the server answered ${response.status}`,
      });
    }
    text = await response.text();
  } catch (err) {
    throw DatasetUpdateError.isInstance(err) ? err : failed(err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetUpdateError(
      { url, reason: DatasetUpdateFailure.BAD_PAYLOAD, detail: `not JSON (${(err as Error).message})` },
      { cause: err },
    );
  }
  const checked = checkDatasetPayload(json);
  if ('problem' in checked) {
    throw new DatasetUpdateError({ url, reason: DatasetUpdateFailure.BAD_PAYLOAD, detail: checked.problem });
  }
  return checked;
}
