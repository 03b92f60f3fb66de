import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Provider } from '@pydantic/genai-prices';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError } from './agentrace-error.js';
import { checkDatasetPayload } from './dataset-payload.js';
import { type DatasetModule, DatasetPriceSource, datasetPriceSource } from './dataset-price-source.js';
import { DatasetUpdateError, DatasetUpdateFailure } from './dataset-update-error.js';
import { PriceTable } from './price-table.js';

const genai = createRequire(import.meta.url)('@pydantic/genai-prices') as DatasetModule;
const TODAY = Date.parse('2026-10-02T09:00:00Z');

let bundled: Provider[];
let server: Server;
let base: string;
const hanging = new Set<ServerResponse>();

/** The bundled providers with one price changed, as the maintainers would publish a price change. */
function withGpt4oInput(price: number): Provider[] {
  const copy = structuredClone(bundled);
  const openai = copy.find((p) => p.id === 'openai');
  const gpt4o = openai?.models.find((m) => m.id === 'gpt-4o');
  if (!gpt4o || Array.isArray(gpt4o.prices)) throw new Error('dataset shape changed');
  gpt4o.prices = { ...gpt4o.prices, input_mtok: price };
  return copy;
}

function withFirstModel(patch: Record<string, unknown>): Provider[] {
  const copy = structuredClone(bundled);
  Object.assign(copy[0]?.models[0] as object, patch);
  return copy;
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/good': (_req, res) => res.end(JSON.stringify(withGpt4oInput(5))),
  '/hang': (_req, res) => {
    hanging.add(res);
  },
  '/half-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[{"id": "openai", ');
    hanging.add(res);
  },
  '/not-json': (_req, res) => res.end('<html>rate limited</html>'),
  '/not-array': (_req, res) => res.end(JSON.stringify({ providers: bundled })),
  '/negative-price': (_req, res) =>
    res.end(JSON.stringify(withFirstModel({ prices: { input_mtok: -3, output_mtok: 1 } }))),
  '/bad-regex': (_req, res) => res.end(JSON.stringify(withFirstModel({ match: { regex: '(' } }))),
  // readable to agentrace, refused by the dataset package's own checks (a constraint with an extra key)
  '/package-refuses': (_req, res) =>
    res.end(
      JSON.stringify(
        withFirstModel({
          prices: [
            { prices: { input_mtok: 1 } },
            {
              constraint: { start_date: '2025-01-01', type: 'start_date', note: 'x' },
              prices: { input_mtok: 2 },
            },
          ],
        }),
      ),
    ),
  '/500': (_req, res) => {
    res.statusCode = 500;
    res.end('upstream broke');
  },
};

beforeAll(async () => {
  bundled = structuredClone((await genai.waitForUpdate()) as Provider[]);
  server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const res of hanging) res.destroy();
  hanging.clear();
  datasetPriceSource.restoreBundled();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const source = () =>
  new DatasetPriceSource({ load: () => ({ module: genai, version: '0.1.8' }), wallClock: () => TODAY });
const gpt4o = { inputTokens: 1_000_000, outputTokens: 0 };

describe('live update from a loopback stand-in for the published URL', () => {
  it('applies fetched prices to every table asking the dataset, names them, and can go back', async () => {
    const prices = new PriceTable({ sources: [datasetPriceSource] });
    expect(prices.costBreakdown('gpt-4o', gpt4o)).toMatchObject({ total: 2.5, source: 'dataset@0.1.8' });
    const live = source();
    const result = await live.update({ url: `${base}/good`, timeoutMs: 5_000 });
    expect(result).toEqual({
      updated: true,
      source: 'dataset@0.1.8+live.2026-10-02',
      providers: bundled.length,
      models: bundled.reduce((n, p) => n + p.models.length, 0),
    });
    // the table cached gpt-4o before the update; the new revision makes it ask again
    expect(prices.costBreakdown('gpt-4o', gpt4o)).toMatchObject({
      total: 5,
      source: 'dataset@0.1.8+live.2026-10-02',
      matchedModel: 'openai:gpt-4o',
    });
    expect(datasetPriceSource.revision).toBeGreaterThan(0);
    expect(live.restoreBundled()).toBe(true);
    expect(live.restoreBundled()).toBe(false);
    expect(prices.costBreakdown('gpt-4o', gpt4o)).toMatchObject({ total: 2.5, source: 'dataset@0.1.8' });
  });

  it('a second update replaces the first; restoring still goes back to the bundled snapshot', async () => {
    const live = source();
    expect((await live.update({ url: `${base}/good` })).updated).toBe(true);
    expect((await live.update({ url: `${base}/good` })).updated).toBe(true);
    expect(live.restoreBundled()).toBe(true);
    expect(live.lookup('gpt-4o', {})?.pricing.inputPerMillion).toBe(2.5);
  });

  const failures: [string, string, DatasetUpdateFailure, RegExp, number?][] = [
    ['no answer in time', '/hang', DatasetUpdateFailure.TIMEOUT, /no complete answer within 200 ms/],
    ['a body that stops half way', '/half-body', DatasetUpdateFailure.TIMEOUT, /within 200 ms/],
    ['a body that is not JSON', '/not-json', DatasetUpdateFailure.BAD_PAYLOAD, /not JSON/],
    [
      'JSON that is not a provider list',
      '/not-array',
      DatasetUpdateFailure.BAD_PAYLOAD,
      /must be a JSON array/,
    ],
    [
      'a negative price',
      '/negative-price',
      DatasetUpdateFailure.BAD_PAYLOAD,
      /\[0\]\.models\[0\]\.input_mtok/,
    ],
    [
      'a match rule that does not compile',
      '/bad-regex',
      DatasetUpdateFailure.BAD_PAYLOAD,
      /\[0\]\.models\[0\]\.match\.regex/,
    ],
    [
      'data the dataset package refuses',
      '/package-refuses',
      DatasetUpdateFailure.BAD_PAYLOAD,
      /package rejected it/,
    ],
    ['a server error', '/500', DatasetUpdateFailure.HTTP_STATUS, /answered 500/, 500],
  ];

  for (const [what, path, reason, detail, status] of failures) {
    it(`keeps the prices in use on ${what}`, async () => {
      const live = source();
      const prices = new PriceTable({ sources: [live] });
      expect(prices.costOf('gpt-4o', gpt4o)).toBe(2.5);
      // a short limit only where the server never finishes, so a slow machine cannot turn the others into timeouts
      const timeoutMs = reason === DatasetUpdateFailure.TIMEOUT ? 200 : 10_000;
      const result = await live.update({ url: `${base}${path}`, timeoutMs });
      expect(result.updated).toBe(false);
      if (result.updated) return;
      expect(result.source).toBe('dataset@0.1.8');
      expect(result.error).toBeInstanceOf(DatasetUpdateError);
      expect(DatasetUpdateError.isInstance(result.error)).toBe(true);
      expect(result.error).toMatchObject({
        name: 'DatasetUpdateError',
        reason,
        url: `${base}${path}`,
        status,
      });
      expect(result.error.detail).toMatch(detail);
      expect(result.error.message).toContain(`${base}${path}`);
      expect(prices.costBreakdown('gpt-4o', gpt4o)).toMatchObject({ total: 2.5, source: 'dataset@0.1.8' });
      expect(live.revision).toBe(datasetPriceSource.revision);
      expect(live.restoreBundled()).toBe(false);
    });
  }

  it('keeps the prices in use when offline (connection refused)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await source().update({ url: `http://127.0.0.1:${port}/data.json`, timeoutMs: 5_000 });
    expect(result.updated).toBe(false);
    if (result.updated) return;
    expect(result.error.reason).toBe(DatasetUpdateFailure.NETWORK);
    expect(result.error.detail).toBe('ECONNREFUSED');
    expect(source().lookup('gpt-4o', {})?.pricing.inputPerMillion).toBe(2.5);
  });

  it('stops when the caller aborts, and fetches from the published URL by default', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await source().update({ signal: controller.signal });
    expect(result.updated).toBe(false);
    if (result.updated) return;
    expect(result.error.reason).toBe(DatasetUpdateFailure.ABORTED);
    expect(result.error.url).toBe(genai.REMOTE_DATA_JSON_URL);

    const later = new AbortController();
    const pending = source().update({ url: `${base}/hang`, signal: later.signal, timeoutMs: 60_000 });
    later.abort();
    const aborted = await pending;
    expect(aborted.updated === false && aborted.error.reason).toBe(DatasetUpdateFailure.ABORTED);
  });

  it('reports an unavailable dataset instead of fetching', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const gone = new DatasetPriceSource({
      load: () => {
        throw new Error('missing');
      },
    });
    const result = await gone.update({ url: `${base}/good` });
    expect(result.updated === false && result.error.reason).toBe(DatasetUpdateFailure.UNAVAILABLE);
    const noUrl = await gone.update();
    expect(noUrl.updated === false && noUrl.error.url).toMatch(/unknown/);
    expect(gone.restoreBundled()).toBe(false);
  });

  it.each([
    [{ url: 'ftp://example.test/data.json' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 3 }, 'url'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ timeoutMs: '5000' }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ signal: 'stop' }, 'signal'],
  ])('rejects bad options %j naming the field', async (options, field) => {
    await expect(source().update(options as never)).rejects.toThrow(ValidationError);
    await expect(source().update(options as never)).rejects.toMatchObject({ field });
  });

  it('accepts a URL object', async () => {
    const live = source();
    expect((await live.update({ url: new URL(`${base}/good`) })).updated).toBe(true);
    live.restoreBundled();
  });
});

describe('checkDatasetPayload', () => {
  const provider = (extra: Record<string, unknown> = {}) => ({
    id: 'p',
    name: 'P',
    api_pattern: 'x',
    models: [{ id: 'm', match: { equals: 'm' }, prices: { input_mtok: 1 } }],
    ...extra,
  });
  const model = (extra: Record<string, unknown>) =>
    provider({ models: [{ id: 'm', match: { equals: 'm' }, prices: {}, ...extra }] });

  it('counts providers and models of a readable payload', () => {
    expect(checkDatasetPayload([provider(), provider({ id: 'q' })])).toMatchObject({
      providerCount: 2,
      modelCount: 2,
    });
    expect(
      checkDatasetPayload([
        model({ match: { and: [{ starts_with: 'm' }, { or: [{ ends_with: 'x' }, { contains: 'y' }] }] } }),
      ]),
    ).toMatchObject({ modelCount: 1 });
  });

  it.each([
    ['an empty list', [], /no providers/],
    ['a provider that is not an object', [3], /^\[0\] must be an object/],
    ['a provider without id', [provider({ id: 1 })], /\[0\]\.id must be a string/],
    [
      'a bad provider match',
      [provider({ provider_match: { near: 'x' } })],
      /\[0\]\.provider_match has none of/,
    ],
    ['a bad model match', [provider({ model_match: 'gpt' })], /\[0\]\.model_match must be a match rule/],
    ['bad fallbacks', [provider({ fallback_model_providers: [1] })], /fallback_model_providers/],
    ['models not a list', [provider({ models: {} })], /\[0\]\.models must be an array/],
    ['a model that is not an object', [provider({ models: [null] })], /models\[0\] must be an object/],
    ['a model without id', [model({ id: 2 })], /models\[0\]\.id must be a string/],
    ['an and that is not a list', [model({ match: { and: 'x' } })], /match\.and must be an array/],
    [
      'a bad rule inside or',
      [model({ match: { or: [{ equals: 1 }] } })],
      /match\.or\[0\]\.equals must be a string/,
    ],
    ['unreadable prices', [model({ prices: [] })], /models\[0\]\.prices must not be empty/],
  ])('rejects %s, naming where', (_what, payload, problem) => {
    const checked = checkDatasetPayload(payload);
    expect('problem' in checked && checked.problem).toMatch(problem);
  });

  it('lets unexpected errors through', () => {
    const evil = provider({
      models: [
        {
          id: 'm',
          match: { equals: 'm' },
          get prices() {
            throw new TypeError('boom');
          },
        },
      ],
    });
    expect(() => checkDatasetPayload([evil])).toThrow('boom');
  });
});
