import { PriceTable } from '@agentrace/pricing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { ANTHROPIC_MESSAGE_CACHED, OPENAI_CHAT_CACHED } from '../../../../test/helpers/responses.js';
import { ANTHROPIC_STREAM } from '../../../../test/helpers/stream-usage-events.js';
import { AgentSession } from './agent-session.js';
import type { Session } from './session.js';

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  await otel.shutdown();
});

/** An agent with prices for `gpt-4o` and `claude` (with `cacheWrite1hPerMillion`, a 1-hour write price). */
function agent(cacheWrite1hPerMillion?: number) {
  const pricing = new PriceTable();
  pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 });
  pricing.register('claude', {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cacheReadPerMillion: 0.3,
    cacheWritePerMillion: 3.75,
    ...(cacheWrite1hPerMillion !== undefined && { cacheWrite1hPerMillion }),
  });
  return new AgentSession({
    role: 'r',
    phase: 'p',
    pricing,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  });
}

describe("runTurn(fn, { usage: 'auto' })", () => {
  it('reads usage and response facts from an OpenAI chat completion', async () => {
    const turn = await agent().run((s) =>
      s.runTurn(() => OPENAI_CHAT_CACHED, { model: 'gpt-4o', usage: 'auto' }),
    );
    const u = OPENAI_CHAT_CACHED.usage;
    const cached = u.prompt_tokens_details.cached_tokens;
    expect(turn.usage.toDict()).toEqual({
      input_tokens: u.prompt_tokens - cached,
      output_tokens: u.completion_tokens,
      cache_read_tokens: cached,
      cache_write_tokens: 0,
    });
    const span = otel.span('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai', // detected from the shape: the caller named none
      'gen_ai.response.model': OPENAI_CHAT_CACHED.model,
      'gen_ai.response.id': OPENAI_CHAT_CACHED.id,
      'gen_ai.usage.input_tokens': u.prompt_tokens,
      'gen_ai.usage.cache_read.input_tokens': cached,
    });
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(
      OPENAI_CHAT_CACHED.choices.map((c) => c.finish_reason),
    );
    const tokens = (await otel.metric('gen_ai.client.token.usage'))!;
    expect(tokens.points[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': OPENAI_CHAT_CACHED.model,
    });
  });

  it('a configured provider wins over the shape', async () => {
    await agent().run((s) =>
      s.runTurn(() => OPENAI_CHAT_CACHED, { model: 'gpt-4o', provider: 'azure.ai.openai', usage: 'auto' }),
    );
    expect(otel.span('chat gpt-4o').attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
  });

  it('prices an Anthropic message with its cache reads and writes', async () => {
    const turn = await agent().run((s) =>
      s.runTurn(() => ANTHROPIC_MESSAGE_CACHED, { model: 'claude', usage: 'auto' }),
    );
    const u = ANTHROPIC_MESSAGE_CACHED.usage;
    expect(turn.usage.inputTokens).toBe(u.input_tokens);
    expect(turn.usage.cacheReadTokens).toBe(u.cache_read_input_tokens);
    const expected =
      (u.input_tokens * 3 +
        u.output_tokens * 15 +
        u.cache_read_input_tokens * 0.3 +
        u.cache_creation_input_tokens * 3.75) /
      1e6;
    expect(turn.costUsd).toBeCloseTo(expected, 12);
  });

  describe("Anthropic's 1-hour cache writes", () => {
    const anthropicAgent = () => agent(6);
    const u = ANTHROPIC_MESSAGE_CACHED.usage;
    const oneHour = u.cache_creation.ephemeral_1h_input_tokens;
    const fiveMinutes = u.cache_creation.ephemeral_5m_input_tokens;
    // The price table's arithmetic: per kind, then summed in this order.
    const costWithOutput = (outputTokens: number) =>
      (u.input_tokens * 3) / 1e6 +
      (outputTokens * 15) / 1e6 +
      ((fiveMinutes * 3.75) / 1e6 + (oneHour * 6) / 1e6) +
      (u.cache_read_input_tokens * 0.3) / 1e6;
    const expected = costWithOutput(u.output_tokens);

    it('are priced at the 1-hour write price, in the turn, the span, the tracker and the cost metric', async () => {
      let session!: Session;
      const turn = await anthropicAgent().run((s) => {
        session = s;
        return s.runTurn(() => ANTHROPIC_MESSAGE_CACHED, { model: 'claude', usage: 'auto' });
      });
      // Priced as 5-minute writes, the turn would cost less: the difference is what was under-reported.
      const asFiveMinute =
        (u.input_tokens * 3 +
          u.output_tokens * 15 +
          u.cache_read_input_tokens * 0.3 +
          u.cache_creation_input_tokens * 3.75) /
        1e6;
      expect(expected).toBeGreaterThan(asFiveMinute);
      expect(turn.costUsd).toBeCloseTo(expected, 12);
      expect(session.tracker.totalCost()).toBeCloseTo(expected, 12);
      expect(otel.span('chat claude').attributes['agentrace.usage.cost']).toBeCloseTo(expected, 12);
      const cost = (await otel.metric('agentrace.cost'))!;
      expect(cost.points.reduce((sum, p) => sum + (p.value as number), 0)).toBeCloseTo(expected, 12);
    });

    it('are priced at the 1-hour write price in a streamed turn', async () => {
      const turn = await anthropicAgent().run(async (s) => {
        const t = await s.runTurn(
          async function* () {
            // The same usage as the message (cache writes with both TTLs), 15 output tokens.
            yield* ANTHROPIC_STREAM;
          },
          { model: 'claude', usage: 'auto' },
        );
        for await (const _ of t.result as AsyncIterable<unknown>);
        return t.done;
      });
      expect(turn.outcome).toBe('completed');
      expect(turn.costUsd).toBeCloseTo(costWithOutput(15), 12);
    });

    it("do not apply to a count reported from inside the call, which replaces the stream's", async () => {
      const turn = await anthropicAgent().run(async (s) => {
        const t = await s.runTurn(
          async function* (_signal, ctx) {
            yield* ANTHROPIC_STREAM;
            ctx.reportUsage({ inputTokens: 10, outputTokens: 5, cacheWriteTokens: 20 });
          },
          { model: 'claude', usage: 'auto' },
        );
        for await (const _ of t.result as AsyncIterable<unknown>);
        return t.done;
      });
      expect(turn.outcome).toBe('completed');
      expect(turn.costUsd).toBeCloseTo((10 * 3 + 5 * 15 + 20 * 3.75) / 1e6, 12);
    });
  });

  it('keeps the result and says clearly when the shape has no usage', async () => {
    const turn = await agent().run((s) =>
      s.runTurn(() => ({ text: 'hi', tokens: 5 }), { model: 'gpt-4o', usage: 'auto' }),
    );
    expect(turn.result).toEqual({ text: 'hi', tokens: 5 });
    expect(turn.usage.isEmpty).toBe(true);
    expect(turn.usageError?.name).toBe('UsageDetectionError');
    expect(turn.usageError?.message).toMatch(/text/);
    const event = otel.span('chat gpt-4o').events.find((e) => e.name === 'agentrace.usage.undetected');
    expect(String(event?.attributes?.['agent.detail'])).toContain('usage');
  });
});
