import { PriceTable, ValidationError } from '@agentrace/pricing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { AgentEventName } from '../lifecycle/event-names.js';
import {
  RecoveryExhaustedError,
  type RecoveryPolicy,
  type TurnFailure,
} from '../recovery/recovery-policy.js';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { AgentSession } from './agent-session.js';
import type { TurnContext } from './run-turn-options.js';
import type { Session } from './session.js';
import type { AgentSessionOptions } from './session-config.js';

let otel: TestTelemetry;

beforeEach(() => {
  otel = createTestTelemetry();
  vi.useFakeTimers();
});

afterEach(async () => {
  vi.useRealTimers();
  await otel.shutdown();
});

function prices(): PriceTable {
  const t = new PriceTable();
  t.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
  t.register('claude-sonnet-4-5', { inputPerMillion: 3, outputPerMillion: 15 });
  return t;
}

function agent(opts: Partial<AgentSessionOptions> = {}): AgentSession {
  return new AgentSession({
    role: 'researcher',
    phase: 'research',
    pricing: prices(),
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

/** A provider error shaped as the OpenAI/Anthropic SDKs shape theirs: status, headers, message. */
function apiError(status: number, message: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { status, headers });
}

/** Runs `body` in a session while fake time advances until it settles. */
async function drive<T>(a: AgentSession, body: (s: Session) => Promise<T>): Promise<T> {
  const run = a.run(body);
  let settled = false;
  run.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 200 && !settled; i++) await vi.advanceTimersByTimeAsync(1_000);
  return run;
}

function attemptSpans(turn: ReadableSpan): ReadableSpan[] {
  return otel
    .children(turn)
    .filter((s) => s.name.startsWith('attempt '))
    .sort(
      (a, b) =>
        Number(a.attributes['agentrace.recovery.attempt']) -
        Number(b.attributes['agentrace.recovery.attempt']),
    );
}

const seeded = () => {
  let x = 0.5;
  return () => {
    x = ((x * 9301 + 49297) % 233280) / 233280;
    return x;
  };
};

describe('recovery that acts', () => {
  it('a rate-limited call waits the Retry-After the provider gave, then succeeds on retry', async () => {
    const calls: number[] = [];
    const fn = vi.fn(async (_signal: AbortSignal, turn: TurnContext) => {
      calls.push(Date.now());
      if (turn.attempt === 1) throw apiError(429, 'Rate limit reached', { 'retry-after': '7' });
      return { text: 'ok' };
    });
    const policy: RecoveryPolicy = { backoff: { baseMs: 1000, jitter: 'none' }, random: seeded() };
    const result = await drive(agent(), (s) =>
      s.runTurn(fn, { model: 'gpt-4o', provider: 'openai', usage: { inputTokens: 100 }, recovery: policy }),
    );
    expect(result.ok).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(calls[1]! - calls[0]!).toBe(7_000); // Retry-After honoured, not the 1 s backoff
    const [first, second] = (
      result as { attempts: readonly import('../recovery/recovery-policy.js').AttemptRecord[] }
    ).attempts;
    expect(first).toMatchObject({
      attempt: 1,
      outcome: 'failed',
      scenario: 'rate_limit',
      backoffMs: 7000,
      provider: 'openai',
    });
    expect(first!.steps).toEqual([
      { step: 'retry_with_backoff', status: 'done', detail: 'waited 7000 ms (Retry-After 7000 ms)' },
      { step: 'switch_provider', status: 'skipped', detail: 'no other provider' },
    ]);
    expect(second).toMatchObject({ attempt: 2, outcome: 'succeeded' });

    const turn = otel.span('chat gpt-4o');
    expect(turn.kind).toBe(SpanKind.CLIENT);
    expect(turn.attributes).toMatchObject({
      'agentrace.turn.attempts': 2,
      'agentrace.turn.outcome': 'recovered',
    });
    expect(turn.status.code).toBe(SpanStatusCode.UNSET);
    const [a1, a2] = attemptSpans(turn);
    expect(a1!.name).toBe('attempt 1 openai/gpt-4o');
    expect(a1!.kind).toBe(SpanKind.INTERNAL);
    expect(a1!.attributes).toMatchObject({
      'agentrace.recovery.attempt': 1,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'error.type': 'rate_limit',
      'agentrace.recovery.scenario': 'rate_limit',
      'agentrace.recovery.step': ['retry_with_backoff'],
      'agentrace.recovery.skipped_steps': ['switch_provider'],
      'agentrace.recovery.backoff_ms': 7000,
    });
    expect(a1!.status.code).toBe(SpanStatusCode.ERROR);
    expect(a2!.status.code).toBe(SpanStatusCode.UNSET);
    expect(a2!.attributes['gen_ai.usage.input_tokens']).toBe(100);
  });

  it("a turn that names no provider or model starts on the policy's first provider", async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          seen.push([turn.provider, turn.model]);
          return 'ok';
        },
        { recovery: { providers: [{ provider: 'openai', model: 'gpt-4o' }, 'anthropic'] } },
      ),
    );
    expect(seen).toEqual([['openai', 'gpt-4o']]);
    expect(otel.span('chat gpt-4o').attributes['gen_ai.provider.name']).toBe('openai');
  });

  it('caps a Retry-After at retryAfterCapMs', async () => {
    const calls: number[] = [];
    await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          calls.push(Date.now());
          if (turn.attempt === 1) throw Object.assign(apiError(429, 'slow down'), { retryAfterMs: 600_000 });
          return 1;
        },
        { model: 'gpt-4o', recovery: { retryAfterCapMs: 2_500 } },
      ),
    );
    expect(calls[1]! - calls[0]!).toBe(2_500);
  });

  it('a provider outage fails over to the second provider (switch, then back off)', async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    const result = await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          seen.push([turn.provider, turn.model]);
          if (turn.provider === 'openai') throw apiError(503, 'Service Unavailable');
          return 'from anthropic';
        },
        {
          model: 'gpt-4o',
          recovery: {
            providers: [
              { provider: 'openai', model: 'gpt-4o' },
              { provider: 'anthropic', model: 'claude-sonnet-4-5' },
            ],
            backoff: { baseMs: 500, jitter: 'none' },
          },
          usage: { inputTokens: 1000, outputTokens: 100 },
        },
      ),
    );
    expect(seen).toEqual([
      ['openai', 'gpt-4o'],
      ['anthropic', 'claude-sonnet-4-5'],
    ]);
    expect(result.ok && result.result).toBe('from anthropic');
    const turn = otel.span('chat gpt-4o');
    expect(turn.attributes['gen_ai.response.model']).toBe('claude-sonnet-4-5');
    // cost priced with the model that answered
    expect(turn.attributes['agentrace.usage.cost']).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6, 12);
    const switchEvent = turn.events.find((e) => e.name === AgentEventName.RECOVERY_PROVIDER_SWITCHED)!;
    expect(switchEvent.attributes).toMatchObject({
      'agentrace.recovery.from_provider': 'openai',
      'agentrace.recovery.from_model': 'gpt-4o',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'agentrace.recovery.reason': 'provider_failure',
    });
    const [a1, a2] = attemptSpans(turn);
    expect(a1!.attributes).toMatchObject({
      'error.type': 'provider_failure',
      'agentrace.recovery.step': ['switch_provider', 'retry_with_backoff'],
      'agentrace.recovery.backoff_ms': 500,
    });
    expect(a2!.name).toBe('attempt 2 anthropic/claude-sonnet-4-5');
  });

  it('per-provider breakers: failover skips a provider whose circuit is open, and the chain shows it', async () => {
    const now = 0;
    const breakers = {
      openai: new CircuitBreaker({
        name: 'openai',
        failureThreshold: 1,
        recoveryTimeoutMs: 60_000,
        clock: () => now,
      }),
      mistral: new CircuitBreaker({
        name: 'mistral',
        failureThreshold: 1,
        recoveryTimeoutMs: 60_000,
        clock: () => now,
      }),
      anthropic: new CircuitBreaker({
        name: 'anthropic',
        failureThreshold: 1,
        recoveryTimeoutMs: 60_000,
        clock: () => now,
      }),
    };
    breakers.mistral.recordFailure(new Error('down earlier'));
    expect(breakers.mistral.state()).toBe('open');
    const seen: string[] = [];
    const policy: RecoveryPolicy = {
      providers: ['openai', 'mistral', 'anthropic'],
      backoff: { baseMs: 100, jitter: 'none' },
    };
    const a = agent({ circuitBreaker: breakers });
    const result = await drive(a, (s) =>
      s.runTurn(
        async (_signal, turn) => {
          seen.push(turn.provider!);
          if (turn.provider === 'openai') throw apiError(502, 'Bad Gateway');
          return 'ok';
        },
        { model: 'm', recovery: policy },
      ),
    );
    expect(seen).toEqual(['openai', 'anthropic']);
    expect(breakers.openai.state()).toBe('open');
    const attempts = (
      result as { attempts: readonly import('../recovery/recovery-policy.js').AttemptRecord[] }
    ).attempts;
    expect(attempts[0]!.steps[0]).toEqual({
      step: 'switch_provider',
      status: 'done',
      detail: 'openai → anthropic (skipped mistral: circuit open)',
    });
    expect(attempts[1]!.skippedProviders).toEqual(['mistral']);

    // Next turn: openai's circuit is open, so the turn starts on anthropic without calling openai.
    seen.length = 0;
    await drive(a, (s) =>
      s.runTurn(
        async (_sig, turn) => {
          seen.push(turn.provider!);
          return 'ok';
        },
        { model: 'm', recovery: policy },
      ),
    );
    expect(seen).toEqual(['anthropic']);
    const second = otel.spans().filter((s) => s.name === 'chat m')[1]!;
    expect(
      second.events.find((e) => e.name === AgentEventName.RECOVERY_PROVIDER_SWITCHED)?.attributes,
    ).toMatchObject({
      'agentrace.recovery.from_provider': 'openai',
      'gen_ai.provider.name': 'anthropic',
      'agentrace.recovery.reason': 'circuit_open',
    });
  });

  it('context overflow is retried with a smaller context budget', async () => {
    const budgets: Array<number | undefined> = [];
    await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          budgets.push(turn.contextBudget);
          if ((turn.contextBudget ?? 0) > 5000)
            throw apiError(400, "This model's maximum context length is 8192 tokens");
          return 'fits';
        },
        { model: 'gpt-4o', recovery: { contextBudget: 8000, contextReduction: 0.5, maxAttempts: 3 } },
      ),
    );
    expect(budgets).toEqual([8000, 4000]);
    const [a1, a2] = attemptSpans(otel.span('chat gpt-4o'));
    expect(a1!.attributes).toMatchObject({
      'agentrace.context.budget': 8000,
      'error.type': 'context_overflow',
      'agentrace.recovery.step': ['retry_with_smaller_context'],
      'agentrace.recovery.skipped_steps': ['reduce_tool_set'],
    });
    expect(a2!.attributes['agentrace.context.budget']).toBe(4000);
  });

  it('calls the hooks for steps agentrace cannot do, and records them skipped without one', async () => {
    const clearMemoryCache = vi.fn();
    const restartAgent = vi.fn();
    const res = await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          if (turn.attempt === 1) throw new SyntaxError('Unexpected token } in JSON at position 12');
          return 'ok';
        },
        { model: 'gpt-4o', recovery: { hooks: { clearMemoryCache, restartAgent } } },
      ),
    );
    expect(clearMemoryCache).toHaveBeenCalledTimes(1);
    expect(clearMemoryCache.mock.calls[0]![0]).toMatchObject({ scenario: 'memory_corruption', attempt: 1 });
    expect(restartAgent).toHaveBeenCalledTimes(1);
    expect(clearMemoryCache.mock.invocationCallOrder[0]).toBeLessThan(
      restartAgent.mock.invocationCallOrder[0]!,
    );
    expect(res.ok && res.attempts[0]!.steps.map((st) => st.status)).toEqual(['done', 'done']);

    const res2 = await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          if (turn.attempt === 1) throw new Error('tool lookup failed');
          return 'ok';
        },
        { model: 'gpt-4o', recovery: {} },
      ),
    );
    expect(res2.ok && res2.attempts[0]!.steps).toEqual([
      { step: 'restart_agent', status: 'skipped', detail: 'no hook supplied' },
    ]);
  });

  describe('exhaustion escalates per the recipe', () => {
    it('abort: a typed error carrying the whole chain', async () => {
      const fn = vi.fn(async () => {
        throw new SyntaxError('Unexpected end of JSON input');
      });
      const err = await drive(agent(), (s) => s.runTurn(fn, { model: 'gpt-4o', recovery: {} })).catch(
        (e: unknown) => e,
      );
      expect(RecoveryExhaustedError.isInstance(err)).toBe(true);
      const e = err as RecoveryExhaustedError;
      expect(e.escalationPolicy).toBe('abort');
      expect(e.scenario).toBe('memory_corruption');
      expect(e.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed']);
      expect(e.cause).toBeInstanceOf(SyntaxError);
      expect(fn).toHaveBeenCalledTimes(2); // memory_corruption allows 1 retry
      const turn = otel.span('chat gpt-4o');
      expect(turn.status.code).toBe(SpanStatusCode.ERROR);
      expect(turn.attributes).toMatchObject({
        'agentrace.turn.outcome': 'escalated',
        'agentrace.recovery.escalation_policy': 'abort',
        'error.type': 'memory_corruption',
      });
      expect(turn.events.map((ev) => ev.name)).toContain('agent.recovery.escalated');
      expect(attemptSpans(turn)).toHaveLength(2);
    });

    it('alert_human: an escalation event, the onEscalate hook, then a throw', async () => {
      const onEscalate = vi.fn();
      let session: Session | undefined;
      const err = await drive(agent(), (s) => {
        session = s;
        return s.runTurn(() => Promise.reject(new Error('request timed out')), {
          model: 'gpt-4o',
          recovery: { onEscalate, backoff: { baseMs: 10, jitter: 'none' } },
        });
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecoveryExhaustedError);
      expect((err as RecoveryExhaustedError).escalationPolicy).toBe('alert_human');
      expect(onEscalate).toHaveBeenCalledTimes(1);
      expect(onEscalate.mock.calls[0]![0]).toMatchObject({
        scenario: 'llm_timeout',
        escalationPolicy: 'alert_human',
      });
      expect(onEscalate.mock.calls[0]![0].attempts).toHaveLength(3); // llm_timeout: 2 retries
      expect(session!.recovery.isExhausted('llm_timeout')).toBe(true);
      expect(session!.recovery.records.map((r) => r.eventType)).toEqual([
        'attempted',
        'attempted',
        'escalated',
      ]);
      expect(session!.events.map((e) => e.event)).toContain(AgentEventName.RECOVERY_ESCALATED);
    });

    it('log_and_continue: a typed failure result when the call passed recovery itself', async () => {
      const failure = await drive(agent(), (s) =>
        s.runTurn(
          (_signal, turn) => {
            turn.reportUsage({ inputTokens: 500, outputTokens: 50 });
            return Promise.reject(new Error('tool fetch failed'));
          },
          { model: 'gpt-4o', recovery: {} },
        ),
      );
      expect(failure.ok).toBe(false);
      const f = failure as TurnFailure;
      expect(f).toMatchObject({ scenario: 'tool_execution_error', escalationPolicy: 'log_and_continue' });
      expect(f.attempts).toHaveLength(2);
      // both failed attempts reported usage: counted and costed
      expect(f.usage.inputTokens).toBe(1000);
      expect(f.costUsd).toBeCloseTo((2 * (500 * 2.5 + 50 * 10)) / 1e6, 12);
      const turn = otel.span('chat gpt-4o');
      expect(turn.attributes['gen_ai.usage.input_tokens']).toBe(1000);
      expect(turn.status.code).toBe(SpanStatusCode.ERROR);
    });

    it('log_and_continue under the agent default policy throws (the call cannot take a failure back)', async () => {
      const err = await drive(agent({ recovery: {} }), (s) =>
        s.runTurn(() => Promise.reject(new Error('tool fetch failed')), { model: 'gpt-4o' }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecoveryExhaustedError);
      expect((err as RecoveryExhaustedError).escalationPolicy).toBe('log_and_continue');
    });

    it('policy overrides: maxAttempts and escalation per scenario', async () => {
      const fn = vi.fn(() => Promise.reject(apiError(503, 'down')));
      const err = await drive(agent(), (s) =>
        s.runTurn(fn, {
          model: 'gpt-4o',
          recovery: {
            maxAttempts: { provider_failure: 4 },
            escalation: { provider_failure: 'alert_human' },
            backoff: { baseMs: 1 },
          },
        }),
      ).catch((e: unknown) => e);
      expect(fn).toHaveBeenCalledTimes(5);
      expect((err as RecoveryExhaustedError).escalationPolicy).toBe('alert_human');
    });
  });

  it('counts retries per turn: a long session with occasional failures never runs out', async () => {
    let calls = 0;
    await drive(
      agent({ recovery: { backoff: { baseMs: 10, jitter: 'none' } }, maxIterations: 100 }),
      async (s) => {
        for (let i = 0; i < 20; i++) {
          const r = await s.runTurn(
            async (_signal, turn) => {
              calls++;
              if (turn.attempt === 1) throw new Error('request timed out');
              return i;
            },
            { model: 'gpt-4o' },
          );
          expect(r.result).toBe(i);
        }
        expect(s.recovery.records.filter((r) => r.eventType === 'attempted')).toHaveLength(20);
        expect(s.recovery.records.filter((r) => r.eventType === 'succeeded')).toHaveLength(20);
        expect(s.recovery.isExhausted('llm_timeout')).toBe(false);
      },
    );
    expect(calls).toBe(40);
  });

  it('abort during backoff cancels promptly, not as an error', async () => {
    const controller = new AbortController();
    const fn = vi.fn(() => Promise.reject(apiError(429, 'slow down', { 'retry-after': '30' })));
    const run = agent().run((s) => s.runTurn(fn, { model: 'gpt-4o', recovery: {} }), {
      signal: controller.signal,
    });
    const outcome = run.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000); // attempt 1 failed, now waiting 30 s
    expect(fn).toHaveBeenCalledTimes(1);
    controller.abort(new Error('user stop'));
    await vi.advanceTimersByTimeAsync(0);
    const err = await outcome;
    expect((err as Error).message).toBe('user stop');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0); // the 30 s wait was cleared
    const turn = otel.span('chat gpt-4o');
    expect(turn.status.code).toBe(SpanStatusCode.UNSET);
    expect(turn.attributes['agentrace.cancelled']).toBe(true);
    expect(otel.span('invoke_agent researcher').attributes['agentrace.session.status']).toBe('cancelled');
  });

  it('timeoutMs applies per attempt; totalTimeoutMs bounds the whole turn, waits included', async () => {
    const fn = vi.fn(
      (signal: AbortSignal) =>
        new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const err = await drive(agent(), (s) =>
      s.runTurn(fn, {
        model: 'gpt-4o',
        timeoutMs: 2_000,
        recovery: { totalTimeoutMs: 5_000, backoff: { baseMs: 2_000, jitter: 'none' }, maxAttempts: 10 },
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TurnTimeoutError);
    expect((err as TurnTimeoutError).scope).toBe('turn');
    expect((err as TurnTimeoutError).timeoutMs).toBe(5_000);
    // attempt 1 times out at 2 s, waits 2 s, attempt 2 is cut by the total at 5 s
    expect(fn).toHaveBeenCalledTimes(2);
    const [a1, a2] = attemptSpans(otel.span('chat gpt-4o'));
    expect(a1!.attributes['error.type']).toBe('llm_timeout');
    expect(a2!.attributes['error.type']).toBe('llm_timeout');
    expect(otel.span('chat gpt-4o').attributes['agentrace.turn.outcome']).toBe('timed_out');
  });

  it('without a policy the reference behaviour stays; recovery: false turns the default off', async () => {
    const fn = vi.fn(() => Promise.reject(apiError(503, 'down')));
    let session: Session | undefined;
    await drive(agent({ recovery: {} }), async (s) => {
      session = s;
      await expect(s.runTurn(fn, { model: 'gpt-4o', recovery: false })).rejects.toMatchObject({
        status: 503,
      });
    });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(session!.recovery.records.map((r) => r.eventType)).toEqual(['succeeded']);
    expect(attemptSpans(otel.span('chat gpt-4o'))).toHaveLength(0);
  });

  it('counts each attempt on the recovery metric by scenario, step and outcome', async () => {
    await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          if (turn.attempt < 3) throw apiError(429, 'rate limited');
          return 1;
        },
        { model: 'gpt-4o', recovery: { backoff: { baseMs: 10, jitter: 'none' } } },
      ),
    );
    const metric = (await otel.metric('agentrace.recovery.attempts'))!;
    const rows = metric.points.map((p) => [
      p.attributes['agentrace.recovery.scenario'],
      p.attributes['agentrace.recovery.step'],
      p.attributes['agentrace.recovery.outcome'],
      p.value,
    ]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['rate_limit', 'retry_with_backoff', 'attempted', 2],
        ['rate_limit', 'none', 'succeeded', 1],
      ]),
    );
  });

  it('rejects a bad policy with a ValidationError naming the field', async () => {
    await agent().run(async (s) => {
      for (const [policy, field] of [
        [{ providers: [''] }, 'recovery.providers[0]'],
        [{ backoff: { baseMs: -1 } }, 'recovery.backoff.baseMs'],
        [{ maxAttempts: { warp_drive: 1 } }, 'recovery.maxAttempts.warp_drive'],
        [{ escalation: { llm_error: 'panic' } }, 'recovery.escalation.llm_error'],
        [{ contextReduction: 1.5 }, 'recovery.contextReduction'],
        [{ hooks: { restartAgent: 'yes' } }, 'recovery.hooks.restartAgent'],
      ] as const) {
        const err = await s.runTurn(() => 1, { recovery: policy as never }).catch((e: unknown) => e);
        expect(ValidationError.isInstance(err), field).toBe(true);
        expect((err as ValidationError).field).toBe(field);
      }
    });
  });
});

describe('durations of a recovering turn', () => {
  it('records gen_ai.client.operation.duration per attempt, error.type on the failed ones, and the turn once under agentrace.turn.duration', async () => {
    await drive(agent(), (s) =>
      s.runTurn(
        async (_signal, turn) => {
          if (turn.attempt === 1) throw apiError(429, 'slow down', { 'retry-after': '2' });
          if (turn.attempt === 2) throw apiError(503, 'overloaded');
          return 'ok';
        },
        {
          usage: { inputTokens: 10, outputTokens: 5 },
          recovery: {
            providers: [
              { provider: 'openai', model: 'gpt-4o' },
              { provider: 'anthropic', model: 'claude-sonnet-4-5' },
            ],
            backoff: { baseMs: 100, jitter: 'none' },
          },
        },
      ),
    );
    const operation = (await otel.metric<Histogram>('gen_ai.client.operation.duration'))!;
    const calls = operation.points.map((p) => ({
      provider: p.attributes['gen_ai.provider.name'],
      error: p.attributes['error.type'],
      count: p.value.count,
    }));
    // Three model calls: each attempt is one, with its own provider, and the failed ones say why.
    expect(calls.reduce((n, c) => n + c.count, 0)).toBe(3);
    expect(calls.filter((c) => c.error !== undefined).map((c) => c.error)).toEqual(
      expect.arrayContaining(['rate_limit', 'provider_failure']),
    );
    expect(calls.filter((c) => c.error === undefined)).toEqual([
      expect.objectContaining({ count: 1, provider: expect.any(String) }),
    ]);
    const turn = (await otel.metric<Histogram>('agentrace.turn.duration'))!;
    expect(turn.unit).toBe('s');
    expect(turn.points).toHaveLength(1);
    expect(turn.points[0]!.value.count).toBe(1);
    expect(turn.points[0]!.attributes['error.type']).toBeUndefined();
    // The turn spans every attempt and the Retry-After wait between them: it is longer than any one attempt.
    const longestAttempt = Math.max(...operation.points.map((p) => p.value.max ?? 0));
    expect(turn.points[0]!.value.sum).toBeGreaterThanOrEqual(2);
    expect(turn.points[0]!.value.sum).toBeGreaterThan(longestAttempt);
  });

  it('records error.type on the turn duration when recovery is exhausted, and one operation duration per failed attempt', async () => {
    await drive(agent(), (s) =>
      s
        .runTurn(
          async () => {
            throw apiError(503, 'overloaded');
          },
          { model: 'gpt-4o', provider: 'openai', recovery: { backoff: { baseMs: 10, jitter: 'none' } } },
        )
        .catch(() => undefined),
    );
    const operation = (await otel.metric<Histogram>('gen_ai.client.operation.duration'))!;
    const attempts = operation.points.reduce((n, p) => n + p.value.count, 0);
    expect(attempts).toBeGreaterThan(1);
    expect(operation.points.every((p) => p.attributes['error.type'] === 'provider_failure')).toBe(true);
    const turn = (await otel.metric<Histogram>('agentrace.turn.duration'))!;
    expect(turn.points.map((p) => [p.attributes['error.type'], p.value.count])).toEqual([
      ['provider_failure', 1],
    ]);
  });

  it('records both for a turn without recovery: the turn is the one model call', async () => {
    await drive(agent(), (s) =>
      s.runTurn(async () => 'ok', { model: 'gpt-4o', provider: 'openai', recovery: false }),
    );
    const operation = (await otel.metric<Histogram>('gen_ai.client.operation.duration'))!;
    const turn = (await otel.metric<Histogram>('agentrace.turn.duration'))!;
    expect(operation.points.map((p) => p.value.count)).toEqual([1]);
    expect(turn.points.map((p) => p.value.count)).toEqual([1]);
  });
});
