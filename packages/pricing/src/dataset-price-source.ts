import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { calcPrice, Provider, updatePrices, waitForUpdate } from '@pydantic/genai-prices';
import { ValidationError } from './agentrace-error.js';
import { fetchDatasetPayload } from './dataset-payload.js';
import { type CompiledModelPrices, compileModelPrices } from './dataset-pricing.js';
import { DatasetUpdateError, DatasetUpdateFailure } from './dataset-update-error.js';
import type { PriceMatch, PriceQuery, PriceSource } from './price-source.js';

/** The npm package the bundled prices come from. */
export const DATASET_PACKAGE = '@pydantic/genai-prices';

/** The parts of `@pydantic/genai-prices` agentrace uses. */
export interface DatasetModule {
  readonly calcPrice: typeof calcPrice;
  readonly updatePrices: typeof updatePrices;
  readonly waitForUpdate: typeof waitForUpdate;
  /** Where the dataset's maintainers publish the current prices. */
  readonly REMOTE_DATA_JSON_URL: string;
}

/** A loaded dataset package and its version. */
export interface LoadedDataset {
  readonly module: DatasetModule;
  readonly version: string;
}

/** Options of a {@link DatasetPriceSource}. */
export interface DatasetPriceSourceOptions {
  /**
   * Loads the dataset package. By default `@pydantic/genai-prices` is required from this package's own
   * dependencies, on first use. A loader that throws leaves the source empty (every model unpriced).
   */
  readonly load?: () => LoadedDataset;
  /** Wall clock in epoch milliseconds, for "now" and the date in a live update's name (default `Date.now`). */
  readonly wallClock?: () => number;
}

/** Options of {@link DatasetPriceSource.update}. */
export interface DatasetUpdateOptions {
  /** Where to fetch the dataset from (default: the dataset's published URL, `REMOTE_DATA_JSON_URL`). */
  readonly url?: string | URL;
  /** Give up after this many milliseconds, body included (default 10 000). */
  readonly timeoutMs?: number;
  /** Abort the update. */
  readonly signal?: AbortSignal;
}

/** How a live update went. It never rejects for a network or payload problem: see `error`. */
export type DatasetUpdateResult =
  | {
      readonly updated: true;
      /** The source name now reported for dataset prices (`dataset@0.1.8+live.2026-10-02`). */
      readonly source: string;
      /** Providers in the new data. */
      readonly providers: number;
      /** Models in the new data. */
      readonly models: number;
    }
  | {
      readonly updated: false;
      /** The source name still in use (the bundled snapshot, or the last successful update). */
      readonly source: string;
      /** Why the update did not apply. */
      readonly error: DatasetUpdateError;
    };

/** Default time limit of a live update. */
export const DEFAULT_DATASET_UPDATE_TIMEOUT_MS = 10_000;

// gen_ai.provider.name values the dataset does not resolve (or resolves to a different seller) by itself.
const PROVIDER_ALIASES = new Map<string, string>([
  ['aws.bedrock', 'aws'],
  ['azure.ai.inference', 'azure'],
  ['azure.ai.openai', 'azure'],
  ['gcp.gemini', 'google'],
  ['gcp.gen_ai', 'google'],
  ['gcp.vertex_ai', 'google'],
  ['mistral_ai', 'mistral'],
  ['x_ai', 'x-ai'],
]);

/** The dataset's provider id for a provider hint (a `gen_ai.provider.name` value or a dataset id). */
export function datasetProviderId(provider: string | undefined): string | undefined {
  if (provider === undefined) return undefined;
  const key = provider.trim().toLowerCase();
  if (key.length === 0) return undefined;
  return PROVIDER_ALIASES.get(key) ?? key;
}

// Bounded like the table's caches, since model names can come from user input.
const MAX_CACHED_MATCHES = 4096;
const MAX_WARNINGS = 100;
const DATASET_WARNING_CODE = 'AGENTRACE_DATASET';

/** What every source over the same loaded module shares: the data is the module's, so its history is too. */
interface SharedState {
  revision: number;
  liveDate: string | undefined;
  bundled: readonly Provider[] | undefined;
}

const states = new WeakMap<DatasetModule, SharedState>();
function stateOf(module: DatasetModule): SharedState {
  let state = states.get(module);
  if (!state) {
    state = { revision: 0, liveDate: undefined, bundled: undefined };
    states.set(module, state);
  }
  return state;
}

// Compiled once per model object of the loaded data (a live update brings new objects).
const compiled = new WeakMap<object, CompiledModelPrices>();

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key) || warned.size >= MAX_WARNINGS) return;
  warned.add(key);
  process.emitWarning(message, { type: 'AgentraceWarning', code: DATASET_WARNING_CODE });
}

/** Forgets which dataset problems were already warned about, so tests can observe the warning again. */
export function resetDatasetWarnings(): void {
  warned.clear();
}

const requireHere = createRequire(import.meta.url);

/** Reads the installed dataset package's version without loading its (large) code. */
function readDatasetVersion(): string {
  let dir = dirname(requireHere.resolve(DATASET_PACKAGE));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === DATASET_PACKAGE && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this directory: keep walking up to the package root
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

// The default loader's result is process-wide: requiring twice gives the same module anyway.
let defaultVersion: string | undefined;
let defaultLoaded: LoadedDataset | null | undefined;

function defaultVersionOrUnavailable(): string {
  if (defaultVersion === undefined) {
    try {
      defaultVersion = readDatasetVersion();
    } catch {
      defaultVersion = 'unavailable';
    }
  }
  return defaultVersion;
}

function loadDefault(): LoadedDataset {
  // Required lazily and synchronously: the dataset is ~830 kB of JavaScript (about 45 ms to load), which
  // an application that registers its own prices or turns the dataset off never pays for.
  const module = requireHere(DATASET_PACKAGE) as DatasetModule;
  return { module, version: readDatasetVersion() };
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Prices from the maintained, dated, MIT-licensed dataset `@pydantic/genai-prices`: about 1 700 models of
 * 40+ providers, matched by the dataset's own rules (`gpt-4o-2024-08-06`, `claude-sonnet-4-5@20250929`,
 * `anthropic/claude-sonnet-4.5` on OpenRouter), with long-context tiers, cache read and 5-minute/1-hour
 * cache-write prices, price history by date and off-peak hours. Its name is `dataset@<package version>`,
 * or `dataset@<version>+live.<date>` after a live {@link DatasetPriceSource.update}.
 *
 * The package is loaded on the first lookup, not on import. Matching by the dataset's rules is slow
 * (hundreds of microseconds), so each distinct model and provider is matched once and cached; prices
 * that change over time are then picked per instant from the cached match.
 *
 * Sources over the same loaded package share its data (it lives in the package); use the process-wide
 * {@link datasetPriceSource}.
 *
 * @example
 * ```ts
 * const prices = new PriceTable({ sources: [datasetPriceSource] });
 * prices.costBreakdown('claude-sonnet-4-5', { inputTokens: 1000, outputTokens: 100 }, { provider: 'anthropic' });
 * // { input: 0.003, output: 0.0015, …, source: 'dataset@0.1.8', matchedModel: 'anthropic:claude-sonnet-4-5' }
 * ```
 */
export class DatasetPriceSource implements PriceSource {
  readonly #load: (() => LoadedDataset) | undefined;
  readonly #wallClock: () => number;
  #loaded: LoadedDataset | null | undefined;
  readonly #matches = new Map<string, PriceMatch | null>();
  #seenRevision = 0;

  /**
   * @throws {ValidationError} when `load` or `wallClock` is not a function.
   */
  constructor(options: DatasetPriceSourceOptions = {}) {
    for (const field of ['load', 'wallClock'] as const) {
      if (options[field] !== undefined && typeof options[field] !== 'function') {
        throw new ValidationError({ field, value: options[field], expected: 'a function' });
      }
    }
    this.#load = options.load;
    this.#wallClock = options.wallClock ?? Date.now;
  }

  /** The dataset package's version (`'0.1.8'`), `'unavailable'` when it cannot be found. Does not load it. */
  get version(): string {
    if (this.#load === undefined) return defaultVersionOrUnavailable();
    return this.#ensureLoaded()?.version ?? 'unavailable';
  }

  /** `dataset@<version>`, or `dataset@<version>+live.<date>` once a live update applied. */
  get name(): string {
    const loaded = this.#peek();
    const live = loaded ? stateOf(loaded.module).liveDate : undefined;
    return live === undefined ? `dataset@${this.version}` : `dataset@${this.version}+live.${live}`;
  }

  /** Grows with every live update or restore, so tables drop what they cached. */
  get revision(): number {
    const loaded = this.#peek();
    return loaded ? stateOf(loaded.module).revision : 0;
  }

  /**
   * Loads the dataset package now, so the first costed turn does not pay for it.
   *
   * @returns whether the dataset is available.
   */
  load(): boolean {
    return this.#ensureLoaded() !== null;
  }

  #peek(): LoadedDataset | null | undefined {
    return this.#load === undefined ? defaultLoaded : this.#loaded;
  }

  #ensureLoaded(): LoadedDataset | null {
    const current = this.#peek();
    if (current !== undefined) return current;
    let loaded: LoadedDataset | null;
    try {
      loaded = (this.#load ?? loadDefault)();
    } catch (err) {
      loaded = null;
      warnOnce(
        'unavailable',
        `agentrace: the price dataset ${DATASET_PACKAGE} could not be loaded (${errorText(err)}); ` +
          'models without registered prices are costed at $0',
      );
    }
    if (this.#load === undefined) defaultLoaded = loaded;
    else this.#loaded = loaded;
    return loaded;
  }

  /** {@inheritDoc PriceSource.lookup} */
  lookup(model: string, query: Pick<PriceQuery, 'provider'>): PriceMatch | undefined {
    const loaded = this.#ensureLoaded();
    if (loaded === null) return undefined;
    const state = stateOf(loaded.module);
    if (state.revision !== this.#seenRevision) {
      this.#matches.clear();
      this.#seenRevision = state.revision;
    }
    const provider = datasetProviderId(query.provider);
    const key = `${provider ?? ''}\u0000${model}`;
    const hit = this.#matches.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const match = this.#match(loaded.module, model, provider);
    if (this.#matches.size >= MAX_CACHED_MATCHES) {
      this.#matches.delete(this.#matches.keys().next().value as string);
    }
    this.#matches.set(key, match);
    return match ?? undefined;
  }

  #match(module: DatasetModule, model: string, provider: string | undefined): PriceMatch | null {
    // A provider the dataset does not know, or that does not list the model, is only a hint: fall back to
    // the dataset's own provider detection from the model name.
    const found =
      this.#calc(module, model, provider) ??
      (provider === undefined ? null : this.#calc(module, model, undefined));
    if (found === null) return null;
    let prices = compiled.get(found.model);
    if (prices === undefined) {
      try {
        prices = compileModelPrices(found.model.prices);
      } catch (err) {
        warnOnce(
          `format:${found.provider.id}:${found.model.id}`,
          `agentrace: the price dataset has prices for ${found.provider.id}:${found.model.id} that agentrace cannot read (${errorText(err)}); costed at $0`,
        );
        return null;
      }
      compiled.set(found.model, prices);
    }
    const matchedModel = `${found.provider.id}:${found.model.id}`;
    const table = prices;
    const pricing = table.pricingAt(new Date(this.#wallClock()));
    return table.timeDependent
      ? { pricing, matchedModel, pricingAt: (at: Date) => table.pricingAt(at) }
      : { pricing, matchedModel };
  }

  #calc(module: DatasetModule, model: string, provider: string | undefined) {
    try {
      // Zero usage: only the match (provider and model) is wanted; agentrace prices the usage itself.
      return module.calcPrice({}, model, provider === undefined ? undefined : { providerId: provider });
    } catch (err) {
      warnOnce(
        `calc:${provider ?? ''}:${model}`,
        `agentrace: the price dataset failed on model "${model}" (${errorText(err)}); costed at $0`,
      );
      return null;
    }
  }

  /**
   * Fetches the current prices from the dataset's published URL (or `url`) and, when they are readable,
   * uses them from then on, in every table that asks this dataset. On a timeout, a network error, a bad
   * status or a bad payload nothing changes (the bundled snapshot, or the last good update, stays) and the
   * result says why. Opt-in: nothing is fetched unless this is called.
   *
   * @throws {ValidationError} (a rejected promise) when `url` is not an http(s) URL, `timeoutMs` is not a
   *   positive number of milliseconds or `signal` is not an AbortSignal.
   * @example
   * ```ts
   * const result = await datasetPriceSource.update({ timeoutMs: 5000 });
   * if (!result.updated) console.warn(`keeping ${result.source}: ${result.error.message}`);
   * ```
   */
  async update(options: DatasetUpdateOptions = {}): Promise<DatasetUpdateResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DATASET_UPDATE_TIMEOUT_MS;
    if (
      typeof timeoutMs !== 'number' ||
      !Number.isFinite(timeoutMs) ||
      timeoutMs <= 0 ||
      timeoutMs > 2 ** 31 - 1
    ) {
      throw new ValidationError({
        field: 'timeoutMs',
        value: timeoutMs,
        expected: 'a positive number of milliseconds',
      });
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new ValidationError({ field: 'signal', value: options.signal, expected: 'an AbortSignal' });
    }
    const given = options.url === undefined ? undefined : checkUrl(options.url);
    const loaded = this.#ensureLoaded();
    const url =
      given ?? loaded?.module.REMOTE_DATA_JSON_URL ?? '(unknown: the dataset package is unavailable)';
    const failure = (error: DatasetUpdateError): DatasetUpdateResult => ({
      updated: false,
      source: this.name,
      error,
    });
    if (loaded === null) {
      return failure(
        new DatasetUpdateError({
          url,
          reason: DatasetUpdateFailure.UNAVAILABLE,
          detail: `the dataset package ${DATASET_PACKAGE} could not be loaded`,
        }),
      );
    }
    const state = stateOf(loaded.module);
    // The bundled data is only reachable through this promise; keep it so restoreBundled() can go back.
    if (state.bundled === undefined) {
      try {
        state.bundled = (await loaded.module.waitForUpdate()) ?? undefined;
      } catch {
        // Someone else's update of the package failed; the package kept its data, and so do we.
      }
    }
    let payload: Awaited<ReturnType<typeof fetchDatasetPayload>>;
    try {
      payload = await fetchDatasetPayload(url, { timeoutMs, signal: options.signal });
    } catch (err) {
      return failure(err as DatasetUpdateError);
    }
    try {
      loaded.module.updatePrices(({ setProviderData }) => setProviderData(payload.providers as Provider[]));
    } catch (err) {
      return failure(
        new DatasetUpdateError(
          {
            url,
            reason: DatasetUpdateFailure.BAD_PAYLOAD,
            detail: `the dataset package rejected it (${errorText(err)})`,
          },
          { cause: err },
        ),
      );
    }
    state.liveDate = isoDate(this.#wallClock());
    state.revision += 1;
    return { updated: true, source: this.name, providers: payload.providerCount, models: payload.modelCount };
  }

  /**
   * Goes back to the prices bundled with the installed package after a live update.
   *
   * @returns whether there was an update to undo.
   */
  restoreBundled(): boolean {
    const loaded = this.#peek();
    const state = loaded ? stateOf(loaded.module) : undefined;
    if (!loaded || state?.liveDate === undefined || state.bundled === undefined) return false;
    const bundled = state.bundled;
    loaded.module.updatePrices(({ setProviderData }) => setProviderData(bundled as Provider[]));
    state.liveDate = undefined;
    state.revision += 1;
    return true;
  }
}

function checkUrl(value: unknown): string {
  let url: URL | undefined;
  if (typeof value === 'string' || value instanceof URL) {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ValidationError({ field: 'url', value, expected: 'an http(s) URL' });
  }
  return url.href;
}

/**
 * The process-wide dataset source: what `defaultPriceTable` and `createPriceTable()` ask after the user's
 * registrations. Call `datasetPriceSource.update()` to opt into live prices.
 */
export const datasetPriceSource: DatasetPriceSource = new DatasetPriceSource();
