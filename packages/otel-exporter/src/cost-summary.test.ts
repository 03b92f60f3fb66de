import { INSTRUMENTATION_SCOPE, semconv as sc } from '@agentrace/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import { CollectingReader } from './collecting-reader.js';
import { costSummary } from './cost-summary.js';
import { renderCostTable } from './cost-table.js';
import { createStyle } from './terminal-style.js';

/** Records what core records for a model call, under core's scope and names. */
function recorder(scope: string = INSTRUMENTATION_SCOPE) {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter(scope);
  const duration = meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, { unit: 's' });
  const tokens = meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, { unit: '{token}' });
  const cost = meter.createCounter(sc.METRIC_AGENTRACE_COST, { unit: '{USD}' });
  const call = (
    agent: string | undefined,
    model: string | undefined,
    usage?: { in: number; out: number; usd: number },
  ) => {
    const attrs = {
      ...(agent !== undefined && { [sc.ATTR_GEN_AI_AGENT_NAME]: agent }),
      ...(model !== undefined && { [sc.ATTR_GEN_AI_REQUEST_MODEL]: model }),
      [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    };
    if (usage) {
      tokens.record(usage.in, { ...attrs, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT });
      tokens.record(usage.out, { ...attrs, [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT });
      cost.add(usage.usd, attrs);
      duration.record(0.5, attrs);
    } else {
      duration.record(0.1, { ...attrs, [ATTR_ERROR_TYPE]: 'rate_limit' });
    }
  };
  return { call, meterProvider: provider, collect: async () => (await reader.collect()).resourceMetrics };
}

describe('costSummary', () => {
  it("counts the zero-code client instrumentations' calls (their own @agentrace/instrumentation scopes)", async () => {
    const r = recorder('@agentrace/instrumentation/openai');
    r.call(undefined, 'gpt-4o', { in: 64, out: 12, usd: 0.0003 });
    r.meterProvider
      .getMeter('@opentelemetry/instrumentation-openai')
      .createCounter(sc.METRIC_AGENTRACE_COST)
      .add(5, {});
    const summary = costSummary(await r.collect());
    expect(summary.rows).toEqual([
      {
        agent: '-',
        model: 'gpt-4o',
        turns: 1,
        errors: 0,
        inputTokens: 64,
        outputTokens: 12,
        costUsd: 0.0003,
      },
    ]);
  });

  it('sums turns, errors, tokens and dollars per agent and model, with totals', async () => {
    const r = recorder();
    r.call('writer', 'claude', { in: 2000, out: 1500, usd: 0.0285 });
    r.call('researcher', 'gpt', { in: 1400, out: 300, usd: 0.0065 });
    r.call('researcher', 'gpt');
    r.call('researcher', 'gpt', { in: 800, out: 500, usd: 0.007 });
    r.call(undefined, undefined, { in: 10, out: 5, usd: 0 });
    // Another instrumentation's GenAI metrics are not agentrace's to sum (they would double count).
    r.meterProvider.getMeter('other').createCounter(sc.METRIC_AGENTRACE_COST).add(100, {});
    const summary = costSummary(await r.collect());
    expect(summary.rows).toEqual([
      { agent: '-', model: 'unspecified', turns: 1, errors: 0, inputTokens: 10, outputTokens: 5, costUsd: 0 },
      {
        agent: 'researcher',
        model: 'gpt',
        turns: 2,
        errors: 1,
        inputTokens: 2200,
        outputTokens: 800,
        costUsd: 0.0135,
      },
      {
        agent: 'writer',
        model: 'claude',
        turns: 1,
        errors: 0,
        inputTokens: 2000,
        outputTokens: 1500,
        costUsd: 0.0285,
      },
    ]);
    expect(summary.total).toEqual({
      turns: 4,
      errors: 1,
      inputTokens: 4210,
      outputTokens: 2305,
      costUsd: 0.042,
    });
  });

  it('falls back to the response model when no request model was given', async () => {
    const reader = new CollectingReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter(INSTRUMENTATION_SCOPE);
    meter.createCounter(sc.METRIC_AGENTRACE_COST).add(1, { [sc.ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-2026-01' });
    const { rows } = costSummary((await reader.collect()).resourceMetrics);
    expect(rows[0]).toMatchObject({ agent: '-', model: 'gpt-2026-01', costUsd: 1 });
  });
});

describe('renderCostTable', () => {
  it('aligns text left and numbers right, with a rule and a total row', async () => {
    const r = recorder();
    r.call('researcher', 'gpt-4o', { in: 2200, out: 800, usd: 0.0133 });
    r.call('researcher', 'gpt-4o');
    r.call('writer', 'claude-sonnet-4-5', { in: 2000, out: 1500, usd: 0.0285 });
    expect(renderCostTable(costSummary(await r.collect()), { title: 'Cost (demo)' })).toBe(
      [
        'Cost (demo)',
        'agent       model              turns  errors  input tok  output tok     cost',
        'researcher  gpt-4o                 1       1      2,200         800  $0.0133',
        'writer      claude-sonnet-4-5      1       0      2,000       1,500  $0.0285',
        '────────────────────────────────────────────────────────────────────────────',
        'total                              2       1      4,200       2,300  $0.0418',
        '',
      ].join('\n'),
    );
  });

  it('is empty when no model call was recorded, and keeps alignment with colour on', async () => {
    const r = recorder();
    expect(renderCostTable(costSummary(await r.collect()))).toBe('');
    r.call('a', 'm');
    r.call('a', 'm', { in: 1_234_567, out: 1, usd: 12.5 });
    const coloured = renderCostTable(costSummary(await r.collect()), { style: createStyle(true) });
    const plain = renderCostTable(costSummary(await r.collect()));
    expect(coloured).toContain('\u001b[31m1\u001b[39m');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the colour to compare layouts.
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain);
    expect(plain).toContain('1,234,567');
    expect(plain).toContain('$12.50');
  });
});
