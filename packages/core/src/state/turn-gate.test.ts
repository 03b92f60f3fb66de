import { AgentraceError, PriceTable } from '@agentrace/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { sleep } from '../common/sleep.js';
import { AgentSession } from '../session/agent-session.js';
import type { AgentSessionOptions } from '../session/session-config.js';
import type { TurnGate, TurnGateContext, TurnGateOutcome } from './turn-gate.js';

class Refused extends AgentraceError {
  static override readonly errorName = 'Refused';
}

/** A gate that logs what it is told, optionally waits or refuses. */
function recordingGate(opts: { refuse?: boolean; waitMs?: number; throwOnSettle?: boolean } = {}) {
  const entered: TurnGateContext[] = [];
  const settled: TurnGateOutcome[] = [];
  const gate: TurnGate = {
    name: 'recording',
    async enter(ctx) {
      entered.push(ctx);
      if (opts.waitMs) {
        ctx.addEvent('gate.waited', { ms: opts.waitMs });
        await sleep(opts.waitMs, ctx.signal);
      }
      if (opts.refuse) throw new Refused('no room');
      return {
        settle(outcome) {
          settled.push(outcome);
          if (opts.throwOnSettle) throw new Error('settle broke');
        },
      };
    },
  };
  return { gate, entered, settled };
}

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  vi.useRealTimers();
  await otel.shutdown();
});

function agent(gates: TurnGate[], opts: Partial<AgentSessionOptions> = {}) {
  const pricing = new PriceTable();
  pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
  return new AgentSession({
    role: 'r',
    phase: 'p',
    pricing,
    gates,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

describe('turn gates', () => {
  it('are entered before the call with the priced expected usage, and settled with the actual cost', async () => {
    const g = recordingGate();
    await agent([g.gate]).run((s) =>
      s.runTurn(() => 'ok', {
        model: 'gpt-4o',
        provider: 'openai',
        expectedUsage: { inputTokens: 1000, outputTokens: 1000 },
        usage: { inputTokens: 1000, outputTokens: 200 },
      }),
    );
    expect(g.entered).toHaveLength(1);
    expect(g.entered[0]).toMatchObject({
      role: 'r',
      provider: 'openai',
      model: 'gpt-4o',
      turnNumber: 1,
      attempt: 1,
    });
    expect(g.entered[0]!.expectedCostUsd).toBeCloseTo((1000 * 2.5 + 1000 * 10) / 1e6, 12);
    expect(g.settled).toEqual([
      { ok: true, usage: expect.anything(), costUsd: expect.closeTo((1000 * 2.5 + 200 * 10) / 1e6, 12) },
    ]);
  });

  it('a refusal fails the turn without calling the model or recording a recovery attempt', async () => {
    const first = recordingGate();
    const refusing = recordingGate({ refuse: true });
    const fn = vi.fn(() => 'never');
    await agent([first.gate, refusing.gate]).run(async (s) => {
      await expect(s.runTurn(fn, { model: 'gpt-4o' })).rejects.toBeInstanceOf(Refused);
      expect(s.recovery.records).toHaveLength(0);
    });
    expect(fn).not.toHaveBeenCalled();
    // the gate entered before the refusing one is released
    expect(first.settled).toEqual([{ ok: false, usage: undefined, costUsd: 0 }]);
    const turn = otel.span('chat gpt-4o');
    expect(turn.status.code).toBe(SpanStatusCode.ERROR);
    expect(turn.attributes['error.type']).toBe('Refused');
  });

  it('a waiting gate is visible on the span and stops waiting when the turn is cancelled', async () => {
    vi.useFakeTimers();
    const g = recordingGate({ waitMs: 60_000 });
    const controller = new AbortController();
    const fn = vi.fn(() => 'never');
    const run = agent([g.gate]).run((s) => s.runTurn(fn, { model: 'gpt-4o', signal: controller.signal }));
    const settled = run.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('stop waiting'));
    expect(((await settled) as Error).message).toBe('stop waiting');
    expect(fn).not.toHaveBeenCalled();
    const turn = otel.span('chat gpt-4o');
    expect(turn.events.map((e) => e.name)).toContain('gate.waited');
    expect(turn.attributes['agentrace.cancelled']).toBe(true);
  });

  it('under a recovery policy, every attempt passes the gates and failed attempts are settled', async () => {
    vi.useFakeTimers();
    const g = recordingGate();
    const run = agent([g.gate]).run((s) =>
      s.runTurn(
        async (_signal, turn) => {
          turn.reportUsage({ inputTokens: 100 });
          if (turn.attempt === 1) throw Object.assign(new Error('overloaded'), { status: 529 });
          return 'ok';
        },
        { model: 'gpt-4o', recovery: { backoff: { baseMs: 10, jitter: 'none' } } },
      ),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    await run;
    expect(g.entered.map((c) => c.attempt)).toEqual([1, 2]);
    expect(g.settled.map((o) => o.ok)).toEqual([false, true]);
    expect(g.settled[0]!.costUsd).toBeCloseTo((100 * 2.5) / 1e6, 12);
  });

  it('a ticket that throws on settle never breaks the turn', async () => {
    const g = recordingGate({ throwOnSettle: true });
    const out = await agent([g.gate]).run((s) => s.runTurn(() => 'fine', { model: 'gpt-4o' }));
    expect(out.result).toBe('fine');
    expect(g.settled).toHaveLength(1);
  });

  it('validates the gates option', () => {
    expect(() => agent([{ name: 'x' } as never])).toThrow(expect.objectContaining({ field: 'gates[0]' }));
  });
});
