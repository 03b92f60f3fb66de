import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AgentSession, UsageSnapshot, UsageTracker } from '@agentrace/core';
import { createPriceTable, datasetPriceSource, type PriceTable } from '@agentrace/pricing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from './helpers/otel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATASET = datasetPriceSource.name;

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  await otel.shutdown();
});

function agent(pricing: PriceTable | undefined) {
  return new AgentSession({
    role: 'researcher',
    phase: 'research',
    ...(pricing && { pricing }),
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
}

describe('the price source of each turn, on the turn span', () => {
  it('is dataset@<version>, user or unpriced, and the cost matches it', async () => {
    const prices = createPriceTable({ onUnpriced: () => {} });
    prices.register('our-llm', { inputPerMillion: 1, outputPerMillion: 2 });
    const usage = { inputTokens: 1_000, outputTokens: 500 };
    await agent(prices).run(async (s) => {
      await s.runTurn(() => 'a', { model: 'gpt-4o', provider: 'openai', usage });
      await s.runTurn(() => 'b', { model: 'our-llm', usage });
      await s.runTurn(() => 'c', { model: 'nobody-sells-this', usage });
    });
    const attrs = (name: string) => otel.span(name).attributes;
    expect(attrs('chat gpt-4o')['agentrace.cost.source']).toBe(DATASET);
    expect(attrs('chat gpt-4o')['agentrace.usage.cost']).toBeCloseTo(0.0075, 12);
    expect(attrs('chat our-llm')['agentrace.cost.source']).toBe('user');
    expect(attrs('chat our-llm')['agentrace.usage.cost']).toBeCloseTo(0.002, 12);
    expect(attrs('chat nobody-sells-this')['agentrace.cost.source']).toBe('unpriced');
    expect(attrs('chat nobody-sells-this')['agentrace.usage.cost']).toBe(0);
    expect(DATASET).toMatch(/^dataset@\d+\.\d+\.\d+$/);
  });

  it('the default table prices a well-known model with no setup', async () => {
    let total = 0;
    await agent(undefined).run(async (s) => {
      await s.runTurn(() => 'a', {
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        usage: {
          inputTokens: 40_000,
          cacheReadTokens: 50_000,
          cacheWriteTokens: 10_000,
          outputTokens: 1_000,
        },
      });
      total = s.tracker.totalCost();
    });
    expect(total).toBeCloseTo(0.1875, 12);
    expect(otel.span('chat claude-sonnet-4-5').attributes['agentrace.cost.source']).toBe(DATASET);
  });
});

describe('UsageTracker with the dataset', () => {
  it('passes the provider hint and the turn date through to the price resolution', () => {
    const tracker = new UsageTracker({ pricing: createPriceTable() });
    const usage = new UsageSnapshot({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
    expect(tracker.recordTurnDetailed('o3', usage, { provider: 'openai' })).toMatchObject({
      total: 10,
      source: DATASET,
      matchedModel: 'openai:o3',
    });
    expect(tracker.recordTurnDetailed('o3', usage, { at: new Date('2025-05-01T00:00:00Z') }).total).toBe(50);
    expect(tracker.totalCost()).toBe(60);
    expect(tracker.perModelSummary()).toEqual({ o3: 60 });
    expect(
      tracker.costForTurn('o3', usage, { at: new Date('2025-05-01T00:00:00Z'), provider: 'openai' }),
    ).toBe(50);
    expect(tracker.costForTurn('o3', usage)).toBe(10);
    expect(tracker.turnCount).toBe(2);
  });
});

/**
 * A real process each: the dataset is loaded lazily, so an application that turns it off never loads it,
 * and core keeps working on registered prices alone.
 */
describe('core with the dataset off, in a fresh process', () => {
  const script = (datasetOn: boolean) => `
    import { createRequire } from 'node:module';
    import { AgentSession } from '@agentrace/core';
    import { registerPricing, useDatasetPrices } from '@agentrace/pricing';
    process.removeAllListeners('warning');
    useDatasetPrices(${datasetOn});
    registerPricing('our-llm', { inputPerMillion: 1, outputPerMillion: 2 });
    const usage = { inputTokens: 1000, outputTokens: 500 };
    const costs = await new AgentSession({ role: 'r', phase: 'p' }).run(async (s) => {
      await s.runTurn(() => 'a', { model: 'our-llm', usage });
      const afterRegistered = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('genai-prices'));
      await s.runTurn(() => 'b', { model: 'gpt-4o', usage });
      return { total: s.tracker.totalCost(), afterRegistered };
    });
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('genai-prices'));
    console.log(JSON.stringify({ ...costs, loaded }));
  `;
  const run = async (datasetOn: boolean) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script(datasetOn)],
      { cwd: ROOT },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      total: number;
      afterRegistered: boolean;
      loaded: boolean;
    };
  };

  it('never loads the dataset package and prices only registered models', async () => {
    const off = await run(false);
    expect(off.total).toBeCloseTo(0.002, 12);
    expect(off.loaded).toBe(false);
  });

  it('with the dataset on, loads it only at the first model no registration prices', async () => {
    const on = await run(true);
    expect(on.total).toBeCloseTo(0.002 + 0.0075, 12);
    expect(on.afterRegistered).toBe(false);
    expect(on.loaded).toBe(true);
  });
});
