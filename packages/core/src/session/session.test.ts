import { PriceTable, ValidationError } from '@agentrace/pricing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { CircuitOpenError } from '../breaker/circuit-open-error.js';
import { defineGuardrail, GuardrailViolatedError } from '../governance/guardrails.js';
import {
  PermissionDeniedError,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
} from '../governance/permissions.js';
import { costExceeded, retryExhausted, timedOut } from '../governance/policy-conditions.js';
import { PolicyAction, PolicyEngine } from '../governance/policy-engine.js';
import { QualityGate, QualityLevel } from '../governance/quality-gate.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentRegistry } from '../lifecycle/agent-registry.js';
import { AgentEventName } from '../lifecycle/event-names.js';
import { RingBufferEventSink } from '../lifecycle/event-sink.js';
import { TurnTimeoutError } from '../recovery/turn-timeout-error.js';
import { RingBufferUsageSink } from '../usage/usage-sink.js';
import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { BudgetExceededError } from '../usage/usage-tracker.js';
import { AgentSession } from './agent-session.js';
import { InputStateError, MaxIterationsExceededError, SessionEndedError } from './session-errors.js';

function pricedTable(): PriceTable {
  const table = new PriceTable();
  table.register('model-a', {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cacheReadPerMillion: 0.3,
    cacheWritePerMillion: 3.75,
  });
  return table;
}

function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('AgentSession.run lifecycle', () => {
  it('walks idle → initializing → running → completed on a normal return', async () => {
    const agent = new AgentSession({ role: 'writer', phase: 'draft', pricing: pricedTable() });
    const session = await agent.run(async (s) => {
      expect(s.worker.status).toBe('running');
      return s;
    });
    expect(session.worker.status).toBe('completed');
    expect(session.worker.events.map((r) => r.kind)).toEqual(['initializing', 'running', 'completed']);
    expect(session.events.map((e) => e.event)).toEqual(['agent.started', 'agent.completed']);
    expect(session.ended).toBe(true);
  });

  it('fails the worker with the classified failure class and rethrows the same error', async () => {
    const agent = new AgentSession({ role: 'writer', phase: 'draft' });
    const boom = httpError(429, 'slow down');
    let session: import('./session.js').Session | undefined;
    await expect(
      agent.run(async (s) => {
        session = s;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(session!.worker.status).toBe('failed');
    expect(session!.worker.lastError?.message).toBe('slow down');
    const failed = session!.events.at(-1)!;
    expect(failed.event).toBe('agent.failed');
    expect(failed.failureClass).toBe('rate_limit');
    expect(failed.detail).toBe('slow down');
  });

  it.each([
    [new Error('tool search failed'), 'tool_error'],
    [new Error('connection refused'), 'dependency_failed'],
    [new Error('maximum context length exceeded'), 'context_overflow'],
    [Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'llm_timeout'],
  ])('maps %s onto failure class %s', async (err, failureClass) => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    let session: import('./session.js').Session | undefined;
    await expect(
      agent.run((s) => {
        session = s;
        return Promise.reject(err);
      }),
    ).rejects.toBe(err);
    expect(session!.events.at(-1)!.failureClass).toBe(failureClass);
  });

  it('cancels (not fails) on abort, and aborts in-flight turns', async () => {
    const controller = new AbortController();
    const agent = new AgentSession({ role: 'writer', phase: 'draft' });
    let session: import('./session.js').Session | undefined;
    let turnSignal: AbortSignal | undefined;
    const run = agent.run(
      async (s) => {
        session = s;
        await s.runTurn(
          (signal) =>
            new Promise((_resolve, reject) => {
              turnSignal = signal;
              signal.addEventListener('abort', () => reject(signal.reason));
            }),
        );
      },
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(turnSignal).toBeDefined());
    controller.abort(new Error('user pressed stop'));
    await expect(run).rejects.toThrow('user pressed stop');
    expect(turnSignal!.aborted).toBe(true);
    expect(session!.worker.status).toBe('cancelled');
    expect(session!.events.at(-1)!.event).toBe('agent.cancelled');
    expect(session!.recovery.records).toHaveLength(0);
  });

  it('leaves a worker the body already ended as it is', async () => {
    const agent = new AgentSession({ role: 'writer', phase: 'draft' });
    const s1 = await agent.run((s) => {
      s.fail('gave up', 'validation_error');
      return s;
    });
    expect(s1.worker.status).toBe('failed');
    expect(s1.events.at(-1)!.failureClass).toBe('validation_error');
    const s2 = await agent.run((s) => {
      s.cancel('not needed');
      return s;
    });
    expect(s2.worker.status).toBe('cancelled');
  });

  it('rejects work after the session ended with SessionEndedError', async () => {
    const agent = new AgentSession({ role: 'writer', phase: 'draft' });
    const s = await agent.run((session) => session);
    await expect(s.runTurn(() => 1)).rejects.toBeInstanceOf(SessionEndedError);
    await expect(s.runTool('t', () => 1)).rejects.toBeInstanceOf(SessionEndedError);
    expect(() => s.complete()).toThrow(SessionEndedError);
    expect(() => s.handoffTo('editor', 'x')).toThrow(SessionEndedError);
  });

  it('open() + await using completes the session on dispose', async () => {
    const agent = new AgentSession({ role: 'writer', phase: 'draft' });
    let opened: import('./session.js').Session;
    {
      await using s = agent.open();
      opened = s;
      await s.runTurn(() => 'hi');
      expect(s.worker.status).toBe('running');
    }
    expect(opened.worker.status).toBe('completed');
  });

  it('validates its options with errors naming the field', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ role: '', phase: 'p' }, 'role'],
      [{ role: 'r', phase: 3 }, 'phase'],
      [{ role: 'r', phase: 'p', maxIterations: -1 }, 'maxIterations'],
      [{ role: 'r', phase: 'p', maxIterations: 1.5 }, 'maxIterations'],
      [{ role: 'r', phase: 'p', maxIterations: Number.NaN }, 'maxIterations'],
      [{ role: 'r', phase: 'p', maxIterations: -Infinity }, 'maxIterations'],
      [{ role: 'r', phase: 'p', budgetUsd: Number.NaN }, 'budgetUsd'],
      [{ role: 'r', phase: 'p', projectId: 'x' }, 'projectId'],
      [{ role: 'r', phase: 'p', maxEvents: 0 }, 'maxEvents'],
      [{ role: 'r', phase: 'p', guardrails: 'no' }, 'guardrails'],
      [{ role: 'r', phase: 'p', maxAttributeLength: 2 }, 'maxAttributeLength'],
    ];
    for (const [opts, field] of bad) {
      try {
        new AgentSession(opts as never);
        expect.unreachable(field);
      } catch (err) {
        expect(ValidationError.isInstance(err), field).toBe(true);
        expect((err as ValidationError).field).toBe(field);
      }
    }
  });
});

describe('Session.runTurn', () => {
  it('records usage and cost and returns them with the result', async () => {
    const usageSink = new RingBufferUsageSink();
    const agent = new AgentSession({ role: 'writer', phase: 'draft', pricing: pricedTable(), usageSink });
    await agent.run(async (s) => {
      const turn = await s.runTurn(() => ({ text: 'hi', tokens: [1000, 200] }), {
        model: 'model-a',
        estimateUsage: (r) => ({ inputTokens: r.tokens[0], outputTokens: r.tokens[1] }),
      });
      expect(turn.result.text).toBe('hi');
      expect(turn.usage).toBeInstanceOf(UsageSnapshot);
      expect(turn.costUsd).toBeCloseTo((1000 * 3 + 200 * 15) / 1e6, 12);
      expect(s.tracker.turnCount).toBe(1);
      expect(s.tracker.totalCost()).toBeCloseTo(turn.costUsd, 12);
    });
    expect(usageSink.records).toHaveLength(1);
    expect(usageSink.records[0]!.model).toBe('model-a');
  });

  it('gives the work an AbortSignal and a TurnContext', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p', model: 'm', provider: 'openai' });
    await agent.run(async (s) => {
      await s.runTurn((signal, turn) => {
        expect(signal).toBeInstanceOf(AbortSignal);
        expect(turn).toEqual({
          attempt: 1,
          turnNumber: 1,
          model: 'm',
          provider: 'openai',
          reportUsage: expect.any(Function),
        });
      });
      await s.runTurn((_signal, turn) => expect(turn.turnNumber).toBe(2), { model: 'other' });
    });
  });

  it('maxIterations: Infinity means no cap', async () => {
    await new AgentSession({ role: 'r', phase: 'p', maxIterations: Infinity }).run(async (s) => {
      for (let i = 0; i < 30; i++) await s.runTurn(() => i);
      expect(s.turnsStarted).toBe(30);
    });
  });

  it('checks the iteration cap before calling; cap 0 blocks the first turn', async () => {
    const fn = vi.fn(() => 'called');
    const zero = new AgentSession({ role: 'r', phase: 'p', maxIterations: 0 });
    await zero.run(async (s) => {
      const err = await s.runTurn(fn).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MaxIterationsExceededError);
      expect((err as MaxIterationsExceededError).maxIterations).toBe(0);
    });
    expect(fn).not.toHaveBeenCalled();

    const two = new AgentSession({ role: 'r', phase: 'p', maxIterations: 2 });
    await two.run(async (s) => {
      await s.runTurn(fn);
      await s
        .runTurn(() => {
          throw new Error('boom');
        })
        .catch(() => undefined);
      await expect(s.runTurn(fn)).rejects.toBeInstanceOf(MaxIterationsExceededError);
      expect(s.turnsStarted).toBe(2);
    });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('classifies a failure, records one recovery attempt and rethrows the same error', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    await agent.run(async (s) => {
      const err = httpError(503, 'upstream down');
      await expect(s.runTurn(() => Promise.reject(err))).rejects.toBe(err);
      expect(s.recovery.attemptCount('provider_failure')).toBe(1);
      expect(s.recovery.records.map((r) => r.eventType)).toEqual(['succeeded']);
      expect(s.events.map((e) => e.event)).toContain('agent.recovery.succeeded');
    });
  });

  it('short-circuits through an open breaker without calling the work', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({
      name: 'llm',
      failureThreshold: 2,
      recoveryTimeoutMs: 1000,
      clock: () => now,
    });
    const agent = new AgentSession({ role: 'r', phase: 'p', circuitBreaker: breaker });
    const work = vi.fn(() => Promise.reject(new Error('503 Service Unavailable')));
    await agent.run(async (s) => {
      await expect(s.runTurn(work)).rejects.toThrow('503');
      await expect(s.runTurn(work)).rejects.toThrow('503');
      const err = await s.runTurn(work).catch((e: unknown) => e);
      expect(CircuitOpenError.isInstance(err)).toBe(true);
      expect((err as CircuitOpenError).breakerName).toBe('llm');
      expect(work).toHaveBeenCalledTimes(2);
      // the short-circuit is not a recovery attempt
      expect(s.recovery.attemptCount('provider_failure')).toBe(2);
      expect(s.events.map((e) => e.event)).toContain(AgentEventName.CIRCUIT_OPENED);
      now += 1000;
      await expect(s.runTurn(() => 'ok')).resolves.toMatchObject({ result: 'ok' });
      expect(breaker.state()).toBe('closed');
      expect(s.events.map((e) => e.event)).toEqual(
        expect.arrayContaining([AgentEventName.CIRCUIT_HALF_OPENED, AgentEventName.CIRCUIT_CLOSED]),
      );
    });
  });

  it('times out with TurnTimeoutError and aborts the work signal', async () => {
    vi.useFakeTimers();
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    let seen: AbortSignal | undefined;
    const run = agent.run(async (s) => {
      const err = await s
        .runTurn(
          (signal) => {
            seen = signal;
            return new Promise(() => undefined); // never settles and ignores its signal
          },
          { timeoutMs: 500 },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TurnTimeoutError);
      expect((err as TurnTimeoutError).timeoutMs).toBe(500);
      expect(seen!.aborted).toBe(true);
      expect(seen!.reason).toBe(err);
      expect(s.recovery.attemptCount('llm_timeout')).toBe(1);
    });
    await vi.advanceTimersByTimeAsync(500);
    await run;
  });

  it('rejects a bad timeout and bad usage with ValidationError naming the field', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    await agent.run(async (s) => {
      await expect(s.runTurn(() => 1, { timeoutMs: -5 })).rejects.toMatchObject({ field: 'timeoutMs' });
      await expect(s.runTurn(() => 1, { usage: { inputTokens: -1 } })).rejects.toMatchObject({
        field: 'inputTokens',
      });
      await expect(s.runTurn('nope' as never)).rejects.toMatchObject({ field: 'fn' });
    });
  });

  it('treats the budget as informational by default: one event, no throw', async () => {
    const sink = new RingBufferEventSink();
    const agent = new AgentSession({
      role: 'r',
      phase: 'p',
      pricing: pricedTable(),
      budgetUsd: 0.01,
      eventSink: sink,
    });
    await agent.run(async (s) => {
      for (let i = 0; i < 3; i++)
        await s.runTurn(() => 1, { model: 'model-a', usage: { outputTokens: 1000 } });
      expect(s.tracker.totalCost()).toBeCloseTo(0.045, 12);
    });
    const budget = sink.events.filter((e) => e.event === AgentEventName.BUDGET_EXCEEDED);
    expect(budget).toHaveLength(1);
    expect(budget[0]!.data).toMatchObject({ budget_usd: 0.01, enforced: false });
  });

  it('emits nothing about the budget while within it', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p', pricing: pricedTable(), budgetUsd: 0.015 });
    await agent.run(async (s) => {
      await s.runTurn(() => 1, { model: 'model-a', usage: { outputTokens: 1000 } }); // exactly 0.015: not over
      expect(s.events.some((e) => e.event === AgentEventName.BUDGET_EXCEEDED)).toBe(false);
    });
  });

  it('enforces the budget when asked: BudgetExceededError with both figures, and no further calls', async () => {
    const agent = new AgentSession({
      role: 'r',
      phase: 'p',
      pricing: pricedTable(),
      budgetUsd: 0.02,
      enforceBudget: true,
    });
    const fn = vi.fn(() => 'x');
    await agent
      .run(async (s) => {
        await s.runTurn(fn, { model: 'model-a', usage: { outputTokens: 1000 } });
        const err = await s
          .runTurn(fn, { model: 'model-a', usage: { outputTokens: 1000 } })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BudgetExceededError);
        expect((err as BudgetExceededError).budgetUsd).toBe(0.02);
        expect((err as BudgetExceededError).currentCostUsd).toBeCloseTo(0.03, 12);
        // the spend that crossed the budget is recorded, not lost
        expect(s.tracker.turnCount).toBe(2);
        await expect(s.runTurn(fn, { model: 'model-a' })).rejects.toBeInstanceOf(BudgetExceededError);
        expect(fn).toHaveBeenCalledTimes(2);
        throw err;
      })
      .catch(() => undefined);
  });

  it('keeps working when the event and usage sinks throw', async () => {
    const eventSink = {
      emit: vi.fn(() => {
        throw new Error('event sink down');
      }),
    };
    const usageSink = {
      record: vi.fn(() => {
        throw new Error('usage sink down');
      }),
    };
    const agent = new AgentSession({ role: 'r', phase: 'p', eventSink, usageSink, pricing: pricedTable() });
    const out = await agent.run(async (s) => {
      const t = await s.runTurn(() => 42, { model: 'model-a', usage: { inputTokens: 10 } });
      await s.runTool('t', () => 1);
      return t.result;
    });
    expect(out).toBe(42);
    expect(eventSink.emit).toHaveBeenCalled();
    expect(usageSink.record).toHaveBeenCalledTimes(1);
  });
});

describe('Session.runTool', () => {
  const policy = new PermissionPolicy({
    roles: { reader: { role: 'reader', mode: PermissionMode.READ_ONLY } },
    toolRequirements: { write_file: PermissionMode.WORKSPACE_WRITE },
  });

  it('runs an allowed tool and returns its result', async () => {
    const agent = new AgentSession({
      role: 'reader',
      phase: 'p',
      permissions: new PermissionEnforcer(policy),
    });
    await agent.run(async (s) => {
      await expect(
        s.runTool('search', (signal) => {
          expect(signal).toBeInstanceOf(AbortSignal);
          return 'found';
        }),
      ).resolves.toBe('found');
      expect(s.events.map((e) => e.event)).toEqual([
        'agent.started',
        'agent.tool_called',
        'agent.tool_completed',
      ]);
      expect(s.authorize('search').allowed).toBe(true);
      expect(s.authorize('write_file').allowed).toBe(false);
    });
  });

  it('denies a tool the role may not use, with the outcome, without running it', async () => {
    const agent = new AgentSession({
      role: 'reader',
      phase: 'p',
      permissions: new PermissionEnforcer(policy),
    });
    const fn = vi.fn();
    await agent.run(async (s) => {
      const err = await s.runTool('write_file', fn).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).outcome.allowed).toBe(false);
      expect((err as PermissionDeniedError).outcome.requiredMode).toBe('WORKSPACE_WRITE');
      expect(s.events.map((e) => e.event)).toContain(AgentEventName.PERMISSION_DENIED);
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('blocks on a pre-guardrail before the call and on a post-guardrail after it', async () => {
    const noShell = defineGuardrail({
      name: 'no-shell',
      pre: ({ tool }) => tool !== 'shell' || { allowed: false, reason: 'no shell' },
    });
    const noSecrets = defineGuardrail({
      name: 'no-secrets',
      post: (value) => !String(value).includes('secret') || { allowed: false, reason: 'leaks a secret' },
    });
    const agent = new AgentSession({ role: 'r', phase: 'p', guardrails: [noShell, noSecrets] });
    const shell = vi.fn(() => 'ls');
    await agent.run(async (s) => {
      const pre = await s.runTool('shell', shell).catch((e: unknown) => e);
      expect(pre).toBeInstanceOf(GuardrailViolatedError);
      expect(pre).toMatchObject({ guardrail: 'no-shell', stage: 'pre', tool: 'shell', role: 'r' });
      const post = await s.runTool('read', () => 'the secret is 42').catch((e: unknown) => e);
      expect(post).toMatchObject({ guardrail: 'no-secrets', stage: 'post' });
      await expect(s.runTool('read', () => 'fine')).resolves.toBe('fine');
      expect(s.events.filter((e) => e.event === AgentEventName.GUARDRAIL_BLOCKED)).toHaveLength(2);
    });
    expect(shell).not.toHaveBeenCalled();
  });

  it('rethrows the tool error without failing the session', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    const s = await agent.run(async (session) => {
      await expect(session.runTool('t', () => Promise.reject(new Error('bad args')))).rejects.toThrow(
        'bad args',
      );
      return session;
    });
    expect(s.worker.status).toBe('completed');
  });
});

describe('gate, policy, handoff, input', () => {
  it('evaluates the quality gate and emits gate passed / failed', async () => {
    const agent = new AgentSession({
      role: 'r',
      phase: 'draft',
      qualityGate: new QualityGate(QualityLevel.STANDARD),
    });
    await agent.run((s) => {
      expect(s.evaluateGate(QualityLevel.STRICT)?.satisfied).toBe(true);
      expect(s.evaluateGate('MINIMAL')?.satisfied).toBe(false);
      expect(s.evaluateGate()?.satisfied).toBe(false);
      const gates = s.events.filter((e) => e.event.startsWith('phase.gate'));
      expect(gates.map((e) => [e.event, e.detail])).toEqual([
        ['phase.gate_passed', 'observed=STRICT'],
        ['phase.gate_failed', 'observed=MINIMAL'],
        ['phase.gate_failed', 'observed=none'],
      ]);
    });
    const ungated = new AgentSession({ role: 'r', phase: 'draft' });
    await ungated.run((s) => {
      expect(s.evaluateGate(QualityLevel.STRICT)).toBeUndefined();
      expect(s.events.some((e) => e.event.startsWith('phase.gate'))).toBe(false);
    });
  });

  it('evaluates policy with elapsed time, exhausted scenarios and cost filled in', async () => {
    let now = 1_000;
    const engine = new PolicyEngine([
      { name: 'slow', condition: timedOut(60), actions: [{ action: PolicyAction.ABORT_PHASE }] },
      {
        name: 'spent',
        condition: costExceeded(0.01),
        actions: [{ action: PolicyAction.NOTIFY }],
        priority: 60,
      },
      {
        name: 'stuck',
        condition: retryExhausted('tool_execution_error'),
        actions: [{ action: PolicyAction.ESCALATE }],
      },
    ]);
    const agent = new AgentSession({
      role: 'r',
      phase: 'p',
      policyEngine: engine,
      pricing: pricedTable(),
      clock: () => now,
    });
    await agent.run(async (s) => {
      expect(s.evaluatePolicy()).toEqual([]);
      now += 60_500;
      expect(s.evaluatePolicy().map((a) => a.action)).toEqual(['abort_phase']);
      expect(s.evaluatePolicy({ elapsedSeconds: 1 })).toEqual([]);
      await s.runTurn(() => 1, { model: 'model-a', usage: { outputTokens: 1000 } });
      for (let i = 0; i < 2; i++)
        await s.runTurn(() => Promise.reject(new Error('tool x failed'))).catch(() => undefined);
      expect(s.recovery.isExhausted('tool_execution_error')).toBe(true);
      expect(s.evaluatePolicy({ elapsedSeconds: 0 }).map((a) => a.action)).toEqual(['escalate', 'notify']);
    });
    const none = new AgentSession({ role: 'r', phase: 'p' });
    await none.run((s) => expect(s.evaluatePolicy()).toEqual([]));
  });

  it('hands off: completes the source, registers the target initializing, and the target run adopts it', async () => {
    const registry = new AgentRegistry();
    const researcher = new AgentSession({ role: 'researcher', phase: 'p', registry, projectId: 7 });
    const writer = new AgentSession({ role: 'writer', phase: 'p', registry, projectId: 7 });
    const context = { notes: ['a'] };
    const handoff = await researcher.run((s) => {
      const h = s.handoffTo('writer', 'research done', context);
      expect(s.worker.status).toBe('completed');
      const completed = s.events.at(-1)!;
      expect(completed.event).toBe('agent.completed');
      expect(completed.data).toMatchObject({ handoff: { source_role: 'researcher', target_role: 'writer' } });
      return h;
    });
    context.notes.push('b');
    expect(handoff.context).toEqual({ notes: ['a'] });
    const target = registry.get(handoff.targetWorkerId)!;
    expect(target.status).toBe('initializing');
    expect(target.projectId).toBe(7);
    const worker = await writer.run((s) => s.worker, { handoff });
    expect(worker).toBe(target);
    expect(target.status).toBe('completed');
    expect(target.events.map((r) => r.kind)).toEqual(['initializing', 'running', 'completed']);
  });

  it('pauses for input and resumes when it is provided', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    await agent.run(async (s) => {
      const answer = s.pauseForInput('which file?');
      expect(s.worker.status).toBe('waiting_for_input');
      expect(() => s.pauseForInput('again?')).toThrow(InputStateError);
      s.provideInput('README.md');
      await expect(answer).resolves.toBe('README.md');
      expect(s.worker.status).toBe('running');
      expect(() => s.provideInput('nobody asked')).toThrow(InputStateError);
      expect(s.events.map((e) => e.event)).toEqual([
        'agent.started',
        'agent.waiting_for_input',
        'agent.ready',
      ]);
    });
  });

  it('rejects a pending input request when the session is cancelled', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p' });
    const s = agent.open();
    const answer = s.pauseForInput('?');
    s.cancel('closing');
    await expect(answer).rejects.toBeDefined();
    expect(s.worker.status).toBe('cancelled');
  });

  it('completes a session that is waiting for input by resuming it first', async () => {
    const s = new AgentSession({ role: 'r', phase: 'p' }).open();
    const answer = s.pauseForInput('?');
    s.complete('done anyway');
    await expect(answer).rejects.toBeInstanceOf(SessionEndedError);
    expect(s.worker.events.map((r) => r.kind)).toEqual([
      'initializing',
      'running',
      'waiting_for_input',
      'running',
      'completed',
    ]);
  });
});

describe('summary', () => {
  it('has the reference shape', async () => {
    const agent = new AgentSession({ role: 'r', phase: 'p', pricing: pricedTable() });
    const summary = await agent.run(async (s) => {
      await s.runTurn(() => 1, { model: 'model-a', usage: { inputTokens: 5000, outputTokens: 1200 } });
      await s.runTurn(() => Promise.reject(new Error('request timed out'))).catch(() => undefined);
      return s.summary();
    });
    expect(Object.keys(summary).sort()).toEqual([
      'agent_events',
      'per_model_cost',
      'recovery_events',
      'usage',
      'worker',
    ]);
    expect(summary.worker.status).toBe('running');
    expect(summary.usage).toMatchObject({ turns: 1, total_input_tokens: 5000, total_output_tokens: 1200 });
    expect(summary.per_model_cost['model-a']).toBeCloseTo(0.033, 12);
    expect(summary.recovery_events).toHaveLength(1);
    expect(summary.recovery_events[0]).toMatchObject({ event_type: 'succeeded', scenario: 'llm_timeout' });
    expect(summary.agent_events.map((e) => e.event)).toEqual(['agent.started', 'agent.recovery.succeeded']);
    expect(() => AgentEvent.fromDict(summary.agent_events[0])).not.toThrow();
  });
});
