import { PriceTable } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { createTestTelemetry } from '../../../../test/helpers/otel.js';
import { AgentSession } from '../session/agent-session.js';

describe('agentrace.cost', () => {
  it('keeps one exact series per agent across sessions of a meter provider', async () => {
    const t = createTestTelemetry();
    const pricing = new PriceTable().register('m', { inputPerMillion: 1_000_000, outputPerMillion: 0 });
    const agent = (role: string) =>
      new AgentSession({
        role,
        phase: 'p',
        model: 'm',
        provider: 'x',
        pricing,
        tracerProvider: t.tracerProvider,
        meterProvider: t.meterProvider,
      });
    const byAgent = async () =>
      Object.fromEntries(
        (await t.metric('agentrace.cost'))!.points.map((p) => [p.attributes['gen_ai.agent.name'], p.value]),
      );
    await agent('a').run(async (s) => {
      await s.runTurn(() => 1, { usage: { inputTokens: 2 } });
      await s.runTurn(() => 1, { usage: { inputTokens: 3 } });
    });
    await agent('b').run((s) => s.runTurn(() => 1, { usage: { inputTokens: 7 } }));
    expect(await byAgent()).toEqual({ a: 5, b: 7 });
    await agent('a').run((s) => s.runTurn(() => 1, { usage: { inputTokens: 1 } }));
    expect(await byAgent()).toEqual({ a: 6, b: 7 });
    await t.shutdown();
  });
});
