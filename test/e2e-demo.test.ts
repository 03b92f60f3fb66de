/**
 * The demo, run in-process as `pnpm demo` runs it (terminal mode: commentary, trace tree, cost table): it shows
 * everything it promises, for several seeds; the same seed gives the same run; a different seed a different one;
 * its cost table is the pricing dataset's price of the usage it recorded; it can be stopped; bad options are
 * refused by name.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentEvent, ValidationError } from '@agentrace/core';
import { costBreakdown } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { HighlightName } from '../examples/demo/highlights.js';
import { type DemoOptions, type DemoResult, runDemo } from '../examples/demo/run-demo.js';
import { freePort } from './helpers/prometheus.js';

interface Captured {
  readonly result: DemoResult;
  readonly text: string;
}

async function demo(opts: DemoOptions = {}): Promise<Captured> {
  let text = '';
  const result = await runDemo({
    env: {},
    ...opts,
    output: {
      write: (s: string) => {
        text += s;
        return true;
      },
    },
  });
  return { result, text };
}

/** The parts of the output, split where the trace tree starts and where the cost table starts. */
function sections(text: string) {
  const treeAt = text.indexOf('invoke_workflow research-report');
  const tableAt = text.indexOf('Cost by agent and model');
  expect(treeAt).toBeGreaterThan(0);
  expect(tableAt).toBeGreaterThan(treeAt);
  return {
    commentary: text.slice(0, treeAt),
    tree: text.slice(treeAt, tableAt),
    rest: text.slice(tableAt),
  };
}

/** The trace tree without what is measured or random: durations, trace and span ids. */
function maskedTreeLines(tree: string): string[] {
  return tree
    .split('\n')
    .map((l) =>
      l
        .replace(/\b\d+(\.\d+)?(ms|s)\b/g, '<t>')
        .replace(/\b[0-9a-f]{32}\b/g, '<trace>')
        .replace(/\b[0-9a-f]{16}\b/g, '<span>'),
    )
    .sort();
}

/** A run's records without what the wall clock decides: timestamps (and the random trace ids). */
function stable(result: DemoResult): unknown {
  const json = JSON.stringify(
    result.rounds.map((r) => ({ ...r, traceId: undefined, events: r.events.map((e) => e.toDict()) })),
    (key, value) => (key === 'emitted_at' || key === 'created_at' ? undefined : value),
  );
  return JSON.parse(json);
}

describe('pnpm demo (in-process, terminal mode)', () => {
  let first: Captured;

  it('shows every highlight it promises, prints the tree and the cost table, and says it is simulated', async () => {
    first = await demo({ seed: 42 });
    const { result, text } = first;
    expect(result.highlights.map((h) => [h.name, h.shown])).toEqual(
      Object.values(HighlightName).map((name) => [name, true]),
    );
    const { commentary, tree, rest } = sections(text);
    expect(commentary).toMatch(/SIMULATED model providers: "simulated\.openai" and "simulated\.anthropic"/);
    expect(commentary).toContain('no API key');
    expect(commentary).toContain('Telemetry: trace tree below, cost table at the end');
    expect(tree).toContain('├─ invoke_agent researcher  ✓ completed');
    expect(tree).toContain('attempt 1 simulated.openai/gpt-4o  ✗ rate_limit');
    expect(tree).toContain('↪ handed off from invoke_agent researcher');
    expect(tree).toContain('⚡ circuit simulated.openai: closed → open');
    expect(rest).toContain('Cost by agent and model (agentrace-demo)');
    expect(rest).toContain('What this run showed');
    expect(rest).not.toContain('✗ missing');
    expect(result.traces).toEqual({ exporters: ['console'], url: undefined });
    expect(result.metricsUrl).toBeUndefined();
  });

  it('tells the story in its commentary: the chain, the breaker, the budget, the handoffs', () => {
    const { commentary } = sections(first.text);
    const lines = commentary.split('\n');
    const index = (needle: string) => {
      const i = lines.findIndex((l) => l.includes(needle));
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    // In the order it happens.
    const order = [
      'researcher turn 1 plan',
      'researcher tool fetch_page  ✗ blocked',
      'researcher tool write_file  ✗ denied',
      'researcher turn 2 summarise',
      'attempt 1  simulated.openai/gpt-4o  ✗ rate_limit',
      'retry_with_backoff (waited 250 ms (Retry-After 250 ms)), switch_provider (simulated.openai → simulated.anthropic)',
      'attempt 2  simulated.anthropic/claude-sonnet-4-5  ✗ llm_timeout  "turn timed out after 300 ms"',
      '↻ recovered after 3 attempts',
      '→ hands off to writer',
      '⚡ circuit simulated.openai: closed → open',
      '$ budget warning: writer has spent',
      '(simulated.openai skipped: circuit open)',
      '→ hands off to editor',
      '⚡ circuit simulated.openai: open → half_open',
      '⚡ circuit simulated.openai: half_open → closed',
      'quality gate ✓ passed',
    ].map(index);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Fractional backoffs are rounded for reading.
    expect(commentary).not.toMatch(/\d+\.\d+ ms/);
  });

  it('prices every turn from the bundled dataset: the cost table is the sum of the turns', () => {
    const { result } = first;
    const turns = result.rounds.flatMap((r) => r.turns);
    expect(result.costs.total.costUsd).toBeCloseTo(
      turns.reduce((s, t) => s + t.costUsd, 0),
      12,
    );
    expect(result.costs.total.inputTokens).toBe(turns.reduce((s, t) => s + t.inputTokens, 0));
    expect(result.costs.total.outputTokens).toBe(turns.reduce((s, t) => s + t.outputTokens, 0));
    // The plan turn is plain OpenAI-style usage on a fresh cache: check its price independently.
    const plan = turns[0];
    expect(plan).toMatchObject({ agent: 'researcher', provider: 'simulated.openai', model: 'gpt-4o' });
    const expected = costBreakdown('gpt-4o', {
      inputTokens: plan?.inputTokens ?? 0,
      outputTokens: plan?.outputTokens ?? 0,
    });
    expect(expected.source).toMatch(/^dataset@/);
    expect(plan?.costUsd).toBeCloseTo(expected.total, 12);
    // The writer crossed its budget on its second turn, not its first.
    const writer = turns.filter((t) => t.agent === 'writer');
    expect(writer[0]?.costUsd).toBeLessThan(0.025);
    expect((writer[0]?.costUsd ?? 0) + (writer[1]?.costUsd ?? 0)).toBeGreaterThan(0.025);
  });

  it('gives the same run for the same seed, and a different one for another seed', async () => {
    const again = await demo({ seed: 42 });
    const a = sections(first.text);
    const b = sections(again.text);
    expect(b.commentary).toBe(a.commentary);
    expect(b.rest).toBe(a.rest);
    expect(maskedTreeLines(b.tree)).toEqual(maskedTreeLines(a.tree));
    expect(stable(again.result)).toEqual(stable(first.result));
    expect(again.result.costs).toEqual(first.result.costs);
    expect(again.result.transitions).toEqual(first.result.transitions);
    expect(again.result.rounds[0]?.traceId).not.toBe(first.result.rounds[0]?.traceId);

    const other = await demo({ seed: 7 });
    expect(other.result.highlights.every((h) => h.shown)).toBe(true);
    expect(other.result.costs.total.costUsd).not.toBe(first.result.costs.total.costUsd);
    expect(sections(other.text).commentary).not.toBe(a.commentary);
  });

  it('runs several rounds in one process, the breakers carrying over, each round a trace of its own', async () => {
    // With a metrics endpoint nobody scrapes: the first round waits briefly, says so, and later rounds go on.
    const { result, text } = await demo({
      seed: 1234,
      runs: 2,
      prometheus: { host: '127.0.0.1', port: 0 },
      scrapeTimeoutMs: 100,
    });
    expect(result.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(new Set(result.rounds.map((r) => r.traceId)).size).toBe(2);
    expect(result.transitions.filter((t) => t.to === 'open').map((t) => t.round)).toEqual([1, 2]);
    expect(result.costs.rows.find((r) => r.agent === 'editor')?.turns).toBe(2);
    expect(text).toContain('agentrace demo · seed 1234 · 2 rounds');
    expect(text.match(/invoke_workflow research-report/g)).toHaveLength(2);
    expect(result.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(result.scrapes).toBe(0);
    expect(text).toContain(`metrics served at ${result.metricsUrl}`);
    expect(text.match(/no scrape of .* within 100 ms/g)).toHaveLength(1);
    // Terminal mode still prints the cost table (at shutdown) beside the endpoint.
    expect(text.match(/Cost by agent and model/g)).toHaveLength(1);
  });

  it('stops when its signal aborts: the agent in flight is cancelled and telemetry is flushed', async () => {
    const controller = new AbortController();
    let text = '';
    const run = runDemo({
      env: {},
      signal: controller.signal,
      output: {
        write: (s: string) => {
          text += s;
          // Stop while the researcher's second model call is in flight.
          if (s.includes('turn 2') && s.includes('summarise')) controller.abort(new Error('stop the demo'));
          return true;
        },
      },
    });
    await expect(run).rejects.toThrow('stop the demo');
    expect(text).toMatch(/invoke_agent researcher {2}⊘ cancelled|invoke_agent researcher.*cancelled/);
    expect(text).not.toContain('invoke_agent writer');
  });

  it('refuses bad options, naming them', async () => {
    const bad: Array<[DemoOptions, string]> = [
      [{ seed: -1 }, 'seed'],
      [{ seed: 1.5 }, 'seed'],
      [{ runs: 0 }, 'runs'],
      [{ runs: 1001 }, 'runs'],
      [{ scrapeTimeoutMs: 0 }, 'scrapeTimeoutMs'],
      [{ output: {} as never }, 'output'],
      [{ prometheus: 'yes' as never }, 'prometheus'],
    ];
    for (const [opts, field] of bad) {
      const err = await runDemo(opts).catch((e: unknown) => e);
      expect(ValidationError.isInstance(err), field).toBe(true);
      expect((err as ValidationError).field).toBe(field);
    }
    await expect(runDemo(null as never)).rejects.toThrow(/options/);
  });

  it('keeps agent events as AgentEvent records', () => {
    const events = first.result.rounds[0]?.events ?? [];
    expect(events.every((e) => e instanceof AgentEvent)).toBe(true);
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining([
        'agent.permission.denied',
        'agent.guardrail.blocked',
        'agent.recovery.attempted',
        'agent.recovery.provider_switched',
        'agent.circuit.opened',
        'agent.budget.exceeded',
        'agent.completed',
      ]),
    );
  });
});

describe('the demo configured by the standard variables', () => {
  it('names the service as OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say, its own name only the default', async () => {
    const named = await demo({ env: { OTEL_SERVICE_NAME: 'my-research-bot' } });
    expect(named.text).toContain('Cost by agent and model (my-research-bot)');
    const attrs = await demo({ env: { OTEL_RESOURCE_ATTRIBUTES: 'team=ml,service.name=from-attrs' } });
    expect(attrs.text).toContain('Cost by agent and model (from-attrs)');
    const plain = await demo({ env: { OTEL_SERVICE_NAME: '  ' } });
    expect(plain.text).toContain('Cost by agent and model (agentrace-demo)');
  });

  it('sends metrics over OTLP when an endpoint is set, also while serving them for Prometheus', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(`${req.url} ${req.headers['content-type']}`);
      req.resume().on('end', () => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { result, text } = await demo({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: url },
        prometheus: { host: '127.0.0.1', port: 0 },
        scrapeTimeoutMs: 50,
      });
      expect(result.metricsUrl).toBeDefined();
      expect(paths).toContain('/v1/metrics application/x-protobuf');
      expect(paths).toContain('/v1/traces application/x-protobuf');
      expect(text).toContain(`Traces were exported to ${url}/v1/traces (http/protobuf)`);
      expect(text).toContain(`Metrics were exported to ${url}/v1/metrics (http/protobuf).`);
      expect(result.dropped).toEqual({ spans: 0, metricExports: 0, metricPoints: 0 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('says what was lost and where it was meant to go when the collector is not there, never "exported"', async () => {
    const port = await freePort();
    const { result, text } = await demo({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' },
    });
    expect(result.highlights.every((h) => h.shown)).toBe(true);
    expect(result.dropped.spans).toBeGreaterThan(0);
    expect(result.dropped.metricExports).toBeGreaterThan(0);
    expect(text).not.toMatch(/exported/i);
    expect(text).toContain(
      `${result.dropped.spans} spans meant for http://127.0.0.1:${port}/v1/traces (http/protobuf) were lost`,
    );
    expect(text).toContain(
      `${result.dropped.metricExports} metric export${result.dropped.metricExports === 1 ? '' : 's'} ` +
        `(${result.dropped.metricPoints} data points) meant for http://127.0.0.1:${port}/v1/metrics (http/protobuf) were lost`,
    );
    expect(text).toContain('The run itself was unaffected');
  });
});
