import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadVector } from '../../../test/helpers/vectors.js';
import { ValidationError } from './agentrace-error.js';
import { validateModelPricing, ZERO_PRICING } from './model-pricing.js';
import type { PriceSource } from './price-source.js';
import { PriceTable, resetUnpricedWarnings, UNPRICED_WARNING_CODE } from './price-table.js';
import { PricingFileError } from './pricing-file-error.js';

interface CostCase {
  model: string;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_write_tokens: number;
    cache_read_tokens: number;
  };
  cost_usd: number;
  has_pricing: boolean;
}

const vector = loadVector('pricing');
const costCases: CostCase[] = vector.costs;

function vectorTable(onUnpriced: (model: string) => void = () => {}): PriceTable {
  const table = new PriceTable({ onUnpriced });
  for (const [model, [input, output, cacheWrite, cacheRead]] of Object.entries(
    vector.registered as Record<string, [number, number, number, number]>,
  )) {
    table.register(model, {
      inputPerMillion: input,
      outputPerMillion: output,
      cacheWritePerMillion: cacheWrite,
      cacheReadPerMillion: cacheRead,
    });
  }
  return table;
}

const usageOf = (u: CostCase['usage']) => ({
  inputTokens: u.input_tokens,
  outputTokens: u.output_tokens,
  cacheWriteTokens: u.cache_write_tokens,
  cacheReadTokens: u.cache_read_tokens,
});

const tmp = mkdtempSync(join(tmpdir(), 'agentrace-pricing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function writeTemp(content: string): string {
  const path = join(tmp, `prices-${++fileNo}.json`);
  writeFileSync(path, content);
  return path;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('PriceTable against vectors/pricing.json', () => {
  it('has the six reference cases', () => expect(costCases).toHaveLength(6));

  for (const c of costCases) {
    it(`costs ${c.model} at ${c.cost_usd} (has_pricing ${c.has_pricing})`, () => {
      const table = vectorTable();
      expect(table.costOf(c.model, usageOf(c.usage))).toBeCloseTo(c.cost_usd, 12);
      expect(Math.abs(table.costOf(c.model, usageOf(c.usage)) - c.cost_usd)).toBeLessThanOrEqual(1e-12);
      expect(table.has(c.model)).toBe(c.has_pricing);
    });
  }

  it('reproduces the reference arithmetic bit for bit', () => {
    const table = vectorTable();
    for (const c of costCases) expect(table.costOf(c.model, usageOf(c.usage))).toBe(c.cost_usd);
  });

  it('breaks each case down by token kind, summing to the total', () => {
    const table = vectorTable();
    const second = costCases[1]!;
    const b = table.costBreakdown(second.model, usageOf(second.usage));
    expect(b.source).toBe('user');
    expect(b.matchedModel).toBe('Model-A');
    expect(b.input).toBeCloseTo(0.003, 15);
    expect(b.output).toBeCloseTo(0.0015, 15);
    expect(b.cacheWrite).toBeCloseTo(0.0075, 15);
    expect(b.cacheRead).toBeCloseTo(0.009, 15);
    expect(b.total).toBe(b.input + b.output + b.cacheWrite + b.cacheRead);
    const unknown = table.costBreakdown('unknown-model', { inputTokens: 1, outputTokens: 1 });
    expect(unknown).toEqual({
      input: 0,
      output: 0,
      cacheWrite: 0,
      cacheRead: 0,
      total: 0,
      source: 'unpriced',
    });
  });
});

describe('resolution', () => {
  const p = (n: number) => ({ inputPerMillion: n, outputPerMillion: n });

  it('exact beats prefix, the longest prefix wins, otherwise zero', () => {
    const table = new PriceTable();
    table.register('claude', p(1)).register('claude-sonnet', p(2)).register('claude-sonnet-4-5', p(3));
    expect(table.resolve('claude-sonnet').inputPerMillion).toBe(2);
    expect(table.resolve('claude-sonnet-4-5-20250929').inputPerMillion).toBe(3);
    expect(table.resolve('claude-sonnet-4-20250514').inputPerMillion).toBe(2);
    expect(table.resolve('claude-haiku').inputPerMillion).toBe(1);
    expect(table.resolve('gpt-4o')).toBe(ZERO_PRICING);
    expect(table.resolveWithSource('claude-opus')).toEqual({
      pricing: validateModelPricing(p(1)),
      source: 'user',
      matchedModel: 'claude',
    });
    expect(table.resolveWithSource('gpt-4o')).toEqual({ pricing: ZERO_PRICING, source: 'unpriced' });
  });

  it('repeated lookups of one model see every change made between them', () => {
    const source: PriceSource = {
      name: 'dataset@1',
      lookup: (_model, query) =>
        query?.provider === 'azure'
          ? { pricing: validateModelPricing(p(7)), matchedModel: 'gpt-4o' }
          : undefined,
    };
    const table = new PriceTable({ sources: [source] });
    table.register('gpt-4o', p(2));
    expect(table.resolve('gpt-4o-2024-08-06').inputPerMillion).toBe(2);
    expect(table.resolve('gpt-4o-2024-08-06').inputPerMillion).toBe(2);
    table.register('gpt-4o-2024-08-06', p(3));
    expect(table.resolve('gpt-4o-2024-08-06').inputPerMillion).toBe(3);
    table.clear();
    expect(table.resolveWithSource('gpt-4o-2024-08-06')).toEqual({
      pricing: ZERO_PRICING,
      source: 'unpriced',
    });
    // The provider hint is part of what a lookup is for: the same name with another provider is a new lookup.
    expect(table.resolveWithSource('gpt-4o-2024-08-06', { provider: 'azure' }).source).toBe('dataset@1');
    expect(table.resolveWithSource('gpt-4o-2024-08-06').source).toBe('unpriced');
    table.removeSource(source);
    expect(table.resolveWithSource('gpt-4o-2024-08-06', { provider: 'azure' }).source).toBe('unpriced');
  });

  it('is case-insensitive for registration and lookup', () => {
    const table = new PriceTable();
    table.register('GPT-4o', p(2.5));
    expect(table.has('gpt-4O')).toBe(true);
    expect(table.resolve('Gpt-4o-2024-08-06').inputPerMillion).toBe(2.5);
    table.register('gpt-4O', p(5));
    expect(table.size).toBe(1);
    expect(table.resolve('GPT-4O').inputPerMillion).toBe(5);
  });

  it('does not rescan: a cached resolution is returned as is until a registration changes the table', () => {
    const table = new PriceTable();
    table.register('m', p(1));
    const first = table.resolveWithSource('m-1');
    expect(table.resolveWithSource('M-1')).toBe(first);
    table.register('m-1', p(2));
    const second = table.resolveWithSource('m-1');
    expect(second).not.toBe(first);
    expect(second.pricing.inputPerMillion).toBe(2);
  });

  it('caches per model, not per call: a source is asked once per distinct model', () => {
    const lookup = vi.fn<PriceSource['lookup']>(() => undefined);
    const table = new PriceTable({ sources: [{ name: 'counting', lookup }] });
    for (let i = 0; i < 100; i++) table.has('x');
    table.has('X');
    expect(lookup).toHaveBeenCalledTimes(1);
    table.has('y');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('keeps the cache bounded, evicting the oldest resolution', () => {
    const lookup = vi.fn<PriceSource['lookup']>(() => undefined);
    const table = new PriceTable({ sources: [{ name: 'counting', lookup }] });
    for (let i = 0; i < 5000; i++) table.has(`model-${i}`);
    expect(lookup).toHaveBeenCalledTimes(5000);
    table.has('model-4999'); // recent: cached
    expect(lookup).toHaveBeenCalledTimes(5000);
    table.has('model-0'); // evicted: asked again
    expect(lookup).toHaveBeenCalledTimes(5001);
  });

  it('asks sources after the user registrations, in order, reporting the source name', () => {
    const dataset: PriceSource = {
      name: 'dataset@2026-05-01',
      lookup: (model, query) =>
        model.startsWith('gpt')
          ? {
              pricing: validateModelPricing(p(query.provider === 'azure' ? 9 : 1)),
              matchedModel: 'gpt',
            }
          : undefined,
    };
    const fallback: PriceSource = {
      name: 'fallback',
      lookup: () => ({ pricing: validateModelPricing(p(7)), matchedModel: '*' }),
    };
    const table = new PriceTable({ sources: [dataset] });
    table.addSource(fallback);
    expect(table.sourceNames).toEqual(['user', 'dataset@2026-05-01', 'fallback']);
    expect(table.costBreakdown('GPT-4o', { inputTokens: 1e6, outputTokens: 0 })).toMatchObject({
      total: 1,
      source: 'dataset@2026-05-01',
      matchedModel: 'gpt',
    });
    expect(table.resolve('gpt-4o', { provider: 'azure' }).inputPerMillion).toBe(9);
    expect(table.resolveWithSource('llama').source).toBe('fallback');
    table.register('gpt-4o', p(2));
    expect(table.resolveWithSource('gpt-4o-mini')).toMatchObject({ source: 'user', matchedModel: 'gpt-4o' });
  });

  it('caches a time-dependent match once and asks it for the prices at each instant', () => {
    const pricingAt = vi.fn((at: Date) => validateModelPricing(p(at.getUTCFullYear() < 2026 ? 1 : 2)));
    const lookup = vi.fn<PriceSource['lookup']>(() => ({
      pricing: validateModelPricing(p(9)),
      matchedModel: 'm',
      pricingAt,
    }));
    let now = Date.parse('2027-01-01T00:00:00Z');
    const table = new PriceTable({ sources: [{ name: 'dated', lookup }], wallClock: () => now });
    expect(table.resolve('m', { at: new Date('2025-06-01T00:00:00Z') }).inputPerMillion).toBe(1);
    expect(table.resolve('m', { at: new Date('2026-06-01T00:00:00Z') }).inputPerMillion).toBe(2);
    expect(table.resolveWithSource('m')).toMatchObject({ source: 'dated', matchedModel: 'm' });
    expect(pricingAt).toHaveBeenLastCalledWith(new Date(now));
    now = Date.parse('2025-01-01T00:00:00Z');
    expect(table.costOf('m', { inputTokens: 1e6, outputTokens: 0 })).toBe(1);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(lookup).toHaveBeenCalledWith('m', {});
  });

  it('passes the provider hint to sources and caches per provider', () => {
    const lookup = vi.fn<PriceSource['lookup']>((_model, query) => ({
      pricing: validateModelPricing(p(query.provider === 'azure' ? 9 : 1)),
      matchedModel: 'm',
    }));
    const table = new PriceTable({ sources: [{ name: 's', lookup }] });
    expect(table.resolve('m', { provider: 'azure' }).inputPerMillion).toBe(9);
    expect(table.resolve('m', { provider: 'azure', at: new Date() }).inputPerMillion).toBe(9);
    expect(table.resolve('m').inputPerMillion).toBe(1);
    expect(lookup.mock.calls).toEqual([
      ['m', { provider: 'azure' }],
      ['m', {}],
    ]);
  });

  it('drops its cache when a source reports a new revision, and can remove a source', () => {
    let price = 1;
    const source = {
      name: 'live',
      revision: 0,
      lookup: vi.fn(() => ({ pricing: validateModelPricing(p(price)), matchedModel: 'm' })),
    };
    const table = new PriceTable({ sources: [source] });
    expect(table.resolve('m').inputPerMillion).toBe(1);
    price = 2;
    expect(table.resolve('m').inputPerMillion).toBe(1); // cached: nothing said it changed
    source.revision = 1;
    expect(table.resolve('m').inputPerMillion).toBe(2);
    expect(source.lookup).toHaveBeenCalledTimes(2);
    expect(table.sources).toEqual([source]);
    expect(table.removeSource(source)).toBe(true);
    expect(table.removeSource(source)).toBe(false);
    expect(table.resolveWithSource('m').source).toBe('unpriced');
    expect(table.sourceNames).toEqual(['user']);
  });

  it('clear() forgets user registrations but keeps sources', () => {
    const table = new PriceTable({
      sources: [{ name: 'ds', lookup: () => ({ pricing: ZERO_PRICING, matchedModel: 'x' }) }],
    });
    table.register('a', p(1));
    expect(table.resolveWithSource('a').source).toBe('user');
    table.clear();
    expect(table.size).toBe(0);
    expect(table.resolveWithSource('a').source).toBe('ds');
  });

  it('new PriceTable() starts empty', () => {
    const table = new PriceTable({ onUnpriced: () => {} });
    expect(table.size).toBe(0);
    expect(table.sourceNames).toEqual(['user']);
    expect(table.has('gpt-4o')).toBe(false);
  });
});

describe('validation', () => {
  it('rejects an empty or non-string model name on register', () => {
    const table = new PriceTable();
    expect(thrown(() => table.register('', { inputPerMillion: 1, outputPerMillion: 1 }))).toMatchObject({
      name: 'ValidationError',
      field: 'model',
    });
    expect(() =>
      table.register(42 as unknown as string, { inputPerMillion: 1, outputPerMillion: 1 }),
    ).toThrow(ValidationError);
    expect(table.size).toBe(0);
  });

  it('rejects bad prices naming the field, registering nothing', () => {
    const table = new PriceTable();
    const err = thrown(() => table.register('m', { inputPerMillion: 1, outputPerMillion: -2 }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ field: 'outputPerMillion', value: -2 });
    expect(table.has('m')).toBe(false);
  });

  it('rejects a non-string model on lookup and bad token counts on costing', () => {
    const table = new PriceTable({ onUnpriced: () => {} });
    expect(() => table.has(undefined as unknown as string)).toThrow(
      expect.objectContaining({ field: 'model' }),
    );
    expect(() => table.costOf('m', { inputTokens: -1, outputTokens: 0 })).toThrow(
      expect.objectContaining({ field: 'usage.inputTokens' }),
    );
    expect(() => table.costOf('m', { inputTokens: 0, outputTokens: 0.5 })).toThrow(
      expect.objectContaining({ field: 'usage.outputTokens' }),
    );
  });

  it('rejects bad options and sources', () => {
    expect(() => new PriceTable({ onUnpriced: 'warn' as unknown as () => void })).toThrow(
      expect.objectContaining({ field: 'onUnpriced' }),
    );
    expect(() => new PriceTable({ sources: [{ name: 'x' } as unknown as PriceSource] })).toThrow(
      expect.objectContaining({ field: 'source' }),
    );
    expect(() => new PriceTable().addSource(null as unknown as PriceSource)).toThrow(ValidationError);
  });
});

describe('loading prices', () => {
  it('loads the reference schema from a file, optional cache prices defaulting to 0', () => {
    const path = writeTemp(
      JSON.stringify({
        models: {
          'GPT-X': { input_per_million: 2, output_per_million: 8, cache_read_per_million: 0.5 },
          'gpt-x-mini': { input_per_million: 0.1, output_per_million: 0.4, cache_write_per_million: 0 },
        },
        comment: 'unknown keys are ignored',
      }),
    );
    const table = new PriceTable();
    expect(table.loadFile(path)).toBe(2);
    expect(table.resolve('gpt-x-2026')).toEqual({
      inputPerMillion: 2,
      outputPerMillion: 8,
      cacheWritePerMillion: 0,
      cacheReadPerMillion: 0.5,
    });
    expect(table.resolve('GPT-X-MINI-1').inputPerMillion).toBe(0.1);
  });

  it('accepts a file URL and a leading byte-order mark, and overrides earlier registrations', () => {
    const path = writeTemp(
      `\uFEFF${JSON.stringify({ models: { m: { input_per_million: 4, output_per_million: 5 } } })}`,
    );
    const table = new PriceTable();
    table.register('m', { inputPerMillion: 1, outputPerMillion: 1 });
    expect(table.resolve('m').inputPerMillion).toBe(1); // cached, then invalidated by the load
    expect(table.loadFile(pathToFileURL(path))).toBe(1);
    expect(table.resolve('m').inputPerMillion).toBe(4);
  });

  it('loads an empty models object', () => {
    expect(new PriceTable().loadFile(writeTemp('{"models": {}}'))).toBe(0);
  });

  const badFiles: [string, string, string | undefined, RegExp][] = [
    ['not JSON', '{"models": {', undefined, /is not valid JSON/],
    ['not an object', '[1, 2]', undefined, /must be a JSON object, got an array/],
    ['missing models', '{"prices": {}}', 'models', /is missing/],
    ['models not an object', '{"models": [1]}', 'models', /must be an object mapping/],
    ['a model not an object', '{"models": {"gpt-x": 3}}', 'models.gpt-x', /must be an object with/],
    [
      'an empty model name',
      '{"models": {"": {"input_per_million": 1, "output_per_million": 1}}}',
      'models.',
      /empty/,
    ],
    [
      'a missing output price',
      '{"models": {"gpt-x": {"input_per_million": 1}}}',
      'models.gpt-x.output_per_million',
      /is missing/,
    ],
    [
      'a missing input price',
      '{"models": {"gpt-x": {"output_per_million": 1}}}',
      'models.gpt-x.input_per_million',
      /is missing/,
    ],
    [
      'a negative price',
      '{"models": {"gpt-x": {"input_per_million": 1, "output_per_million": -1}}}',
      'models.gpt-x.output_per_million',
      /non-negative finite number, got -1/,
    ],
    [
      'a string price',
      '{"models": {"gpt-x": {"input_per_million": "1", "output_per_million": 1}}}',
      'models.gpt-x.input_per_million',
      /got "1"/,
    ],
    [
      'a null cache price',
      '{"models": {"gpt-x": {"input_per_million": 1, "output_per_million": 1, "cache_read_per_million": null}}}',
      'models.gpt-x.cache_read_per_million',
      /got null/,
    ],
  ];

  for (const [what, content, key, reason] of badFiles) {
    it(`rejects a file with ${what}, naming the file and key, registering nothing`, () => {
      const path = writeTemp(
        // a good model first, to prove a bad file is all-or-nothing
        content.replace(
          '{"models": {',
          '{"models": {"good-one": {"input_per_million": 1, "output_per_million": 1}, ',
        ),
      );
      const table = new PriceTable();
      const err = thrown(() => table.loadFile(path));
      expect(err).toBeInstanceOf(PricingFileError);
      expect(PricingFileError.isInstance(err)).toBe(true);
      const e = err as PricingFileError;
      expect(e.name).toBe('PricingFileError');
      expect(e.file).toBe(path);
      expect(e.key).toBe(key);
      expect(e.reason).toMatch(reason);
      expect(e.message).toContain(path);
      if (key) expect(e.message).toContain(key);
      expect(table.size).toBe(0);
      expect(table.has('good-one')).toBe(false);
    });
  }

  it('rejects an unreadable file with the cause attached', () => {
    const path = join(tmp, 'does-not-exist.json');
    const err = thrown(() => new PriceTable().loadFile(path)) as PricingFileError;
    expect(err).toBeInstanceOf(PricingFileError);
    expect(err.file).toBe(path);
    expect(err.key).toBeUndefined();
    expect(err.reason).toMatch(/cannot be read \(ENOENT/);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('loadObject names the given source, or <object>', () => {
    const table = new PriceTable();
    expect(table.loadObject({ models: { a: { input_per_million: 1, output_per_million: 2 } } })).toBe(1);
    expect(thrown(() => table.loadObject({}))).toMatchObject({ file: '<object>', key: 'models' });
    expect(thrown(() => table.loadObject(null, 'https://example.test/prices.json'))).toMatchObject({
      file: 'https://example.test/prices.json',
      key: undefined,
    });
  });
});

describe('unpriced models', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    resetUnpricedWarnings();
  });

  it('call onUnpriced once per model (case-insensitive) and cost 0', () => {
    const onUnpriced = vi.fn();
    const table = new PriceTable({ onUnpriced });
    const usage = { inputTokens: 1000, outputTokens: 1000 };
    expect(table.costOf('mystery', usage)).toBe(0);
    expect(table.costOf('MYSTERY', usage)).toBe(0);
    expect(table.costBreakdown('mystery', usage).total).toBe(0);
    expect(onUnpriced).toHaveBeenCalledTimes(1);
    expect(onUnpriced).toHaveBeenCalledWith('mystery');
    table.costOf('other', usage);
    expect(onUnpriced).toHaveBeenCalledTimes(2);
  });

  it('only costing warns; has/resolve are silent', () => {
    const onUnpriced = vi.fn();
    const table = new PriceTable({ onUnpriced });
    table.has('mystery');
    table.resolve('mystery');
    expect(onUnpriced).not.toHaveBeenCalled();
  });

  it('emit one process warning per model per process by default, across tables', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const usage = { inputTokens: 1, outputTokens: 1 };
    new PriceTable().costOf('warn-once-model', usage);
    new PriceTable().costOf('Warn-Once-Model', usage);
    expect(emit).toHaveBeenCalledTimes(1);
    expect(emit).toHaveBeenCalledWith(
      expect.stringContaining('warn-once-model'),
      expect.objectContaining({ code: UNPRICED_WARNING_CODE, type: 'AgentraceWarning' }),
    );
    resetUnpricedWarnings();
    new PriceTable().costOf('warn-once-model', usage);
    expect(emit).toHaveBeenCalledTimes(2);
  });

  it('stop warning after 1000 distinct models so memory stays bounded', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const onUnpriced = vi.fn();
    const own = new PriceTable({ onUnpriced });
    const shared = new PriceTable();
    for (let i = 0; i < 1200; i++) {
      own.costOf(`m${i}`, { inputTokens: 1, outputTokens: 1 });
      shared.costOf(`m${i}`, { inputTokens: 1, outputTokens: 1 });
    }
    expect(onUnpriced).toHaveBeenCalledTimes(1000);
    expect(emit).toHaveBeenCalledTimes(1000);
  });

  it('a throwing onUnpriced hook does not break costing', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const table = new PriceTable({
      onUnpriced: () => {
        throw new Error('hook bug');
      },
    });
    expect(table.costOf('mystery', { inputTokens: 1, outputTokens: 1 })).toBe(0);
    expect(emit).toHaveBeenCalledWith(
      expect.stringContaining('hook bug'),
      expect.objectContaining({ code: 'AGENTRACE_HOOK_FAILED' }),
    );
  });
});

describe('PricingFileError', () => {
  it('is an AgentraceError with facts as fields', async () => {
    const { AgentraceError } = await import('./agentrace-error.js');
    const e = new PricingFileError({ file: 'p.json', key: 'models.x', reason: 'is missing' });
    expect(e).toBeInstanceOf(AgentraceError);
    expect(e.message).toBe('bad pricing file p.json: models.x is missing');
    expect(new PricingFileError({ file: 'p.json', reason: 'is not valid JSON' }).message).toBe(
      'bad pricing file p.json: is not valid JSON',
    );
  });
});

describe('tiers, 1-hour writes and queries', () => {
  const sonnet = {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cacheReadPerMillion: 0.3,
    cacheWritePerMillion: 3.75,
    cacheWrite1hPerMillion: 6,
    tiers: [
      {
        aboveInputTokens: 200_000,
        inputPerMillion: 6,
        outputPerMillion: 22.5,
        cacheReadPerMillion: 0.6,
        cacheWritePerMillion: 7.5,
        cacheWrite1hPerMillion: 12,
      },
    ],
  };

  it('prices every token at the tier once the whole prompt, cache tokens included, is over it', () => {
    const table = new PriceTable().register('sonnet', sonnet);
    // 190k plain + 20k cache read = 210k prompt: the tier applies to all of it
    const over = table.costBreakdown('sonnet', {
      inputTokens: 190_000,
      cacheReadTokens: 20_000,
      outputTokens: 1_000,
    });
    expect(over).toMatchObject({ tierAboveInputTokens: 200_000, source: 'user', matchedModel: 'sonnet' });
    expect(over.input).toBeCloseTo(1.14, 12);
    expect(over.cacheRead).toBeCloseTo(0.012, 12);
    expect(over.output).toBeCloseTo(0.0225, 12);
    // exactly 200k: still base prices
    const at = table.costBreakdown('sonnet', {
      inputTokens: 180_000,
      cacheReadTokens: 20_000,
      outputTokens: 1_000,
    });
    expect(at.tierAboveInputTokens).toBeUndefined();
    expect(at.input).toBeCloseTo(0.54, 12);
  });

  it('charges 1-hour writes the 1-hour price and the rest of the writes the 5-minute price', () => {
    const table = new PriceTable().register('sonnet', sonnet);
    const cost = table.costBreakdown('sonnet', {
      inputTokens: 0,
      outputTokens: 0,
      cacheWriteTokens: 10_000,
      cacheWrite1hTokens: 4_000,
    });
    expect(cost.cacheWrite).toBeCloseTo((6_000 * 3.75 + 4_000 * 6) / 1e6, 15);
    expect(cost.total).toBe(cost.cacheWrite);
    // without a 1-hour price, 1-hour writes cost the write price
    const plain = new PriceTable().register('m', {
      inputPerMillion: 1,
      outputPerMillion: 1,
      cacheWritePerMillion: 2,
    });
    expect(
      plain.costOf('m', { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 10, cacheWrite1hTokens: 10 }),
    ).toBe((10 * 2) / 1e6);
  });

  it('rejects a malformed query naming the field', () => {
    const table = new PriceTable();
    expect(() => table.resolve('m', null as never)).toThrow(expect.objectContaining({ field: 'query' }));
    expect(() => table.resolve('m', { provider: 3 as never })).toThrow(
      expect.objectContaining({ field: 'query.provider' }),
    );
    expect(() => table.costOf('m', { inputTokens: 1, outputTokens: 1 }, { at: new Date('nope') })).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'query.at' }),
    );
    expect(() => table.has('m', { at: '2025-01-01' as never })).toThrow(
      expect.objectContaining({ field: 'query.at' }),
    );
    expect(() => new PriceTable({ wallClock: 5 as never })).toThrow(
      expect.objectContaining({ field: 'wallClock' }),
    );
  });
});

// Found by the reliability fuzzer: a null options object was a TypeError.
describe('PriceTable with options that are not an object', () => {
  it.each([null, 5, 'x'])('%o is refused with a ValidationError naming options', (options) => {
    expect(() => new PriceTable(options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'options' }),
    );
  });
});
