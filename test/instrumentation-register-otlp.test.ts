/**
 * Across processes, as a user runs it: an unchanged app (the real `openai` / `@anthropic-ai/sdk` against a
 * loopback server answering as the provider does) started with `node --import @agentrace/instrumentation/register`
 * and `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a loopback OTLP receiver, over http/protobuf and http/json. The
 * receiver decodes protobuf with the published `.proto` files, independently of the exporters.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { SPAN_KIND_CLIENT, spansOf } from './helpers/otlp.js';
import { startOtlpProtobufReceiver } from './helpers/otlp-proto.js';
import { metricsOf, REGISTER, requireBuilt, runChild } from './helpers/register-child.js';
import { ANTHROPIC_MESSAGE_CACHED, OPENAI_CHAT_CACHED } from './helpers/responses.js';
import { ANTHROPIC_STREAM } from './helpers/stream-usage-events.js';

// Each test starts one or two Node processes that load the SDKs: seconds each on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

let provider: FakeProvider;
let receiver: Awaited<ReturnType<typeof startOtlpProtobufReceiver>>;

beforeAll(async () => {
  requireBuilt();
  provider = await startFakeProvider();
  receiver = await startOtlpProtobufReceiver();
});
afterAll(async () => {
  await provider.close();
  await receiver.close();
});

async function runUnchanged(app: string, protocol: string, env: Record<string, string>) {
  const before = receiver.requests.length;
  const r = await runChild({
    app,
    preload: REGISTER.import,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'unchanged-app',
      ...env,
    },
  });
  const requests = receiver.requests.slice(before);
  return { ...r, requests, spans: spansOf(requests), metrics: metricsOf(requests) };
}

/** The sum of a metric's points (a counter), or the count of a histogram's observations. */
function total(metric: ReturnType<typeof metricsOf> extends Map<string, infer M> ? M : never): number {
  const sum = (metric.sum?.dataPoints ?? []).reduce((a, p) => a + Number(p.asDouble ?? p.asInt ?? 0), 0);
  const count = (metric.histogram?.dataPoints ?? []).reduce((a, p) => a + Number(p.count ?? 0), 0);
  return sum + count;
}

describe.each(PROTOCOLS)('register → OTLP %s', (protocol) => {
  it.skipIf(NODE_MAJOR < 22)(
    'openai (declares Node >= 22): an unchanged app, its chat span with cost at the collector',
    async () => {
      provider.enqueue({ json: OPENAI_CHAT_CACHED });
      const r = await runUnchanged('fixtures/openai/app.mjs', protocol, {
        OPENAI_API_KEY: 'test',
        OPENAI_BASE_URL: `${provider.url}/v1`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('boardwalk');
      expect(r.spans.map((s) => s.name)).toEqual(['chat gpt-4o']);
      const [span] = r.spans;
      expect(span!.kind).toBe(SPAN_KIND_CLIENT);
      expect(span!.resource['service.name']).toBe('unchanged-app');
      expect(span!.attrs).toMatchObject({
        'gen_ai.provider.name': 'openai',
        'gen_ai.response.id': OPENAI_CHAT_CACHED.id,
        'gen_ai.usage.output_tokens': 300,
      });
      expect(span!.attrs['agentrace.usage.cost']).toBeGreaterThan(0);
      // Nothing on the terminal when a collector is configured.
      expect(r.stderr).not.toContain('chat gpt-4o');
    },
  );

  it.skipIf(NODE_MAJOR < 22)('openai: the GenAI metrics with cost', async () => {
    provider.enqueue({ json: OPENAI_CHAT_CACHED });
    const r = await runUnchanged('fixtures/openai/app.mjs', protocol, {
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: `${provider.url}/v1`,
    });
    const usage = r.metrics.get('gen_ai.client.token.usage');
    const cost = r.metrics.get('agentrace.cost');
    expect(usage && total(usage)).toBe(2);
    expect(cost && total(cost)).toBeCloseTo(Number(r.spans[0]!.attrs['agentrace.usage.cost']), 9);
  });

  it('@anthropic-ai/sdk (Node 20 too): chat spans with cost, and the GenAI metrics with cost', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { sse: { events: ANTHROPIC_STREAM, named: true } });
    const r = await runUnchanged('fixtures/clients/anthropic-app.mjs', protocol, { BASE_URL: provider.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ANSWER ${ANTHROPIC_MESSAGE_CACHED.id}`);
    expect(r.spans.map((s) => s.name)).toEqual(['chat claude-haiku-4-5', 'chat claude-haiku-4-5']);
    for (const span of r.spans) {
      expect(span.attrs['gen_ai.provider.name']).toBe('anthropic');
      expect(span.attrs['agentrace.usage.cost']).toBeGreaterThan(0);
    }
    const usage = r.metrics.get('gen_ai.client.token.usage');
    const duration = r.metrics.get('gen_ai.client.operation.duration');
    const cost = r.metrics.get('agentrace.cost');
    expect(usage && total(usage), 'token usage: input and output of each call').toBe(4);
    expect(duration && total(duration), 'one duration per call').toBe(2);
    const spanCost = r.spans.reduce((a, s) => a + Number(s.attrs['agentrace.usage.cost']), 0);
    expect(cost && total(cost)).toBeCloseTo(spanCost, 9);
  });
});
