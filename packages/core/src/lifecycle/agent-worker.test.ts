import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentStatus } from './agent-status.js';
import type { AgentWorkerOptions, WorkerTransition } from './agent-worker.js';
import { AgentWorker, InvalidTransitionError } from './agent-worker.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function fakeClock(start = T0) {
  let now = start;
  const clock = () => now;
  return {
    clock,
    advance(ms: number) {
      now += ms;
    },
  };
}

function make(extra: Partial<AgentWorkerOptions> = {}) {
  const time = fakeClock();
  const worker = new AgentWorker({
    role: 'coder',
    phase: 'build',
    clock: time.clock,
    random: () => 0,
    ...extra,
  });
  return { worker, time };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AgentWorker identity', () => {
  it('builds the id from role, phase and 8 hex digits of the injected random source', () => {
    expect(make({ random: () => 0 }).worker.workerId).toBe('coder-build-00000000');
    expect(make({ random: () => 0.5 }).worker.workerId).toBe('coder-build-80000000');
    expect(make({ random: () => 0xdeadbeef / 2 ** 32 }).worker.workerId).toBe('coder-build-deadbeef');
    expect(make({ random: () => 1 - 2 ** -53 }).worker.workerId).toBe('coder-build-ffffffff');
  });

  it('uses a cryptographic source by default, giving distinct well-formed ids', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const w = new AgentWorker({ role: 'planner', phase: 'design-2' });
      expect(w.workerId).toMatch(/^planner-design-2-[0-9a-f]{8}$/);
      ids.add(w.workerId);
    }
    expect(ids.size).toBe(200);
    expect(spy).toHaveBeenCalledTimes(200);
  });

  it('starts idle with no history, no retries and no error', () => {
    const { worker } = make({ projectId: 7 });
    expect(worker).toMatchObject({ role: 'coder', phase: 'build', projectId: 7, status: 'idle' });
    expect(worker.events).toEqual([]);
    expect(worker.retryCount).toBe(0);
    expect(worker.lastError).toBeUndefined();
    expect(worker.isTerminal).toBe(false);
    expect(make().worker.projectId).toBeUndefined();
  });

  it.each([
    ['role', { role: '' }],
    ['role', { role: 3 as unknown as string }],
    ['phase', { phase: '' }],
    ['phase', { phase: undefined as unknown as string }],
    ['projectId', { projectId: 1.5 }],
    ['projectId', { projectId: '7' as unknown as number }],
    ['projectId', { projectId: Number.NaN }],
    ['clock', { clock: 5 as unknown as () => number }],
    ['random', { random: 'x' as unknown as () => number }],
    ['random', { random: () => 1 }],
    ['random', { random: () => -0.1 }],
    ['random', { random: () => Number.NaN }],
  ])('rejects a bad %s with a ValidationError naming it', (field, extra) => {
    const err = thrown(() => make(extra));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field });
    expect((err as Error).message).toMatch(new RegExp(`^${field} must be`));
  });

  it('rejects a missing options object', () => {
    expect(thrown(() => new AgentWorker(undefined as unknown as AgentWorkerOptions))).toMatchObject({
      name: 'ValidationError',
      field: 'options',
    });
  });
});

describe('AgentWorker transitions', () => {
  it('numbers records from 1 and stamps them with the injected wall clock in ISO-8601 UTC', () => {
    const { worker, time } = make();
    const r1 = worker.transition(AgentStatus.INITIALIZING);
    time.advance(1_500);
    const r2 = worker.transition(AgentStatus.RUNNING, 'warmed up');
    time.advance(60_000);
    const r3 = worker.transition(AgentStatus.WAITING_FOR_INPUT);
    const r4 = worker.transition(AgentStatus.RUNNING);
    const r5 = worker.transition(AgentStatus.COMPLETED, 'done');

    expect(worker.events).toEqual([r1, r2, r3, r4, r5]);
    expect(worker.events.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r1).toEqual({
      seq: 1,
      kind: 'initializing',
      status: 'initializing',
      from: 'idle',
      timestamp: '2026-01-02T03:04:05.678Z',
    });
    expect('detail' in r1).toBe(false);
    expect(r2).toEqual({
      seq: 2,
      kind: 'running',
      status: 'running',
      from: 'initializing',
      detail: 'warmed up',
      timestamp: '2026-01-02T03:04:07.178Z',
    });
    expect(r3.timestamp).toBe('2026-01-02T03:05:07.178Z');
    expect(r5).toMatchObject({ kind: 'completed', status: 'completed', from: 'running', detail: 'done' });
    expect(worker.status).toBe('completed');
    expect(worker.isTerminal).toBe(true);
  });

  it('keeps an empty detail in the record', () => {
    const { worker } = make();
    expect(worker.transition(AgentStatus.CANCELLED, '').detail).toBe('');
  });

  it('sets lastError on a transition to failed with a detail, with the record timestamp', () => {
    const { worker, time } = make();
    worker.transition(AgentStatus.INITIALIZING, 'not an error');
    worker.transition(AgentStatus.RUNNING);
    time.advance(250);
    const record = worker.transition(AgentStatus.FAILED, 'model timed out');
    expect(worker.lastError).toEqual({ message: 'model timed out', timestamp: record.timestamp });
    expect(worker.lastError?.timestamp).toBe('2026-01-02T03:04:05.928Z');
    expect(Object.isFrozen(worker.lastError)).toBe(true);
  });

  it('leaves lastError unset for a failure without a detail, or with an empty one', () => {
    const a = make().worker;
    a.transition(AgentStatus.FAILED);
    expect(a.lastError).toBeUndefined();
    const b = make().worker;
    b.transition(AgentStatus.FAILED, '');
    expect(b.lastError).toBeUndefined();
  });

  it('does not set lastError for details on other transitions', () => {
    const { worker } = make();
    worker.transition(AgentStatus.CANCELLED, 'user abort');
    expect(worker.lastError).toBeUndefined();
  });

  it('rejects a disallowed transition with an InvalidTransitionError carrying the facts', () => {
    const { worker } = make();
    const err = thrown(() => worker.transition(AgentStatus.RUNNING));
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect(err).toBeInstanceOf(AgentraceError);
    expect(InvalidTransitionError.isInstance(err)).toBe(true);
    expect(AgentraceError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      name: 'InvalidTransitionError',
      from: 'idle',
      to: 'running',
      workerId: 'coder-build-00000000',
      allowed: ['initializing', 'failed', 'cancelled'],
    });
    expect((err as Error).message).toBe(
      'worker coder-build-00000000 cannot transition from idle to running (allowed from idle: initializing, failed, cancelled)',
    );
    expect(worker.status).toBe('idle');
    expect(worker.events).toEqual([]);
  });

  it('is immutable once terminal: every transition out throws and nothing changes', () => {
    for (const end of [AgentStatus.COMPLETED, AgentStatus.FAILED, AgentStatus.CANCELLED]) {
      const { worker } = make();
      worker.transition(AgentStatus.INITIALIZING);
      worker.transition(AgentStatus.RUNNING);
      worker.transition(end, 'the end');
      const snapshot = worker.toDict();
      for (const to of Object.values(AgentStatus)) {
        const err = thrown(() => worker.transition(to, 'again'));
        expect(err).toMatchObject({ name: 'InvalidTransitionError', from: end, to, allowed: [] });
        expect((err as Error).message).toContain(`(${end} is terminal)`);
      }
      expect(worker.toDict()).toEqual(snapshot);
      expect(worker.status).toBe(end);
    }
  });

  it('rejects a status or detail of the wrong type with a ValidationError', () => {
    const { worker } = make();
    expect(thrown(() => worker.transition('done' as AgentStatus))).toMatchObject({
      name: 'ValidationError',
      field: 'to',
      value: 'done',
    });
    expect(thrown(() => worker.transition(AgentStatus.FAILED, 42 as unknown as string))).toMatchObject({
      name: 'ValidationError',
      field: 'detail',
    });
    expect(worker.events).toEqual([]);
    expect(worker.status).toBe('idle');
  });

  it('rejects a clock that returns no usable time, naming the clock', () => {
    const { worker } = make({ clock: () => Number.NaN });
    expect(thrown(() => worker.transition(AgentStatus.INITIALIZING))).toMatchObject({
      name: 'ValidationError',
      field: 'clock',
    });
    expect(worker.status).toBe('idle');
    const odd = make({ clock: () => '2026' as unknown as number }).worker;
    expect(thrown(() => odd.transition(AgentStatus.INITIALIZING))).toMatchObject({ field: 'clock' });
  });
});

describe('AgentWorker history immutability', () => {
  it('hands out frozen records in a frozen array that later transitions do not change', () => {
    const { worker } = make();
    worker.transition(AgentStatus.INITIALIZING);
    const view = worker.events;
    expect(Object.isFrozen(view)).toBe(true);
    expect(Object.isFrozen(view[0])).toBe(true);
    expect(() => (view as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (view[0] as { seq: number }).seq = 99;
    }).toThrow(TypeError);
    worker.transition(AgentStatus.RUNNING);
    expect(view).toHaveLength(1);
    expect(worker.events).toHaveLength(2);
    expect(worker.events[0]).toBe(view[0]);
    expect(worker.events).toBe(worker.events);
  });

  it('does not let toDict output reach the worker', () => {
    const { worker } = make();
    worker.transition(AgentStatus.FAILED, 'boom');
    const dict = worker.toDict();
    dict.events[0]!.seq = 42;
    dict.last_error!.message = 'changed';
    dict.events.push({ ...dict.events[0]! });
    expect(worker.events[0]!.seq).toBe(1);
    expect(worker.lastError?.message).toBe('boom');
    expect(worker.toDict().events).toHaveLength(1);
  });
});

describe('AgentWorker retries', () => {
  it('counts retries and returns the new count', () => {
    const { worker } = make();
    expect(worker.incrementRetry()).toBe(1);
    expect(worker.incrementRetry()).toBe(2);
    expect(worker.retryCount).toBe(2);
    expect(worker.toDict().retry_count).toBe(2);
  });
});

describe('AgentWorker.onTransition', () => {
  it('tells listeners about each transition after the worker has changed', () => {
    const { worker } = make();
    const seen: Array<WorkerTransition & { statusThen: string; eventsThen: number }> = [];
    worker.onTransition((t) =>
      seen.push({ ...t, statusThen: t.worker.status, eventsThen: t.worker.events.length }),
    );
    const record = worker.transition(AgentStatus.INITIALIZING, 'go');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ worker, from: 'idle', to: 'initializing', statusThen: 'initializing' });
    expect(seen[0]!.record).toBe(record);
    expect(seen[0]!.eventsThen).toBe(1);
  });

  it('isolates a throwing listener: the transition stands and other listeners still run', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const { worker } = make();
    const after = vi.fn();
    worker.onTransition(() => {
      throw new Error('listener bug');
    });
    worker.onTransition(after);
    const record = worker.transition(AgentStatus.INITIALIZING);
    expect(record.seq).toBe(1);
    expect(worker.status).toBe('initializing');
    expect(after).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    worker.transition(AgentStatus.RUNNING);
    expect(after).toHaveBeenCalledTimes(2);
  });

  it('stops notifying a disposed listener, and does not notify on a rejected transition', () => {
    const { worker } = make();
    const listener = vi.fn();
    const sub = worker.onTransition(listener);
    expect(() => worker.transition(AgentStatus.COMPLETED)).toThrow(InvalidTransitionError);
    expect(listener).not.toHaveBeenCalled();
    worker.transition(AgentStatus.INITIALIZING);
    sub.dispose();
    worker.transition(AgentStatus.RUNNING);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('lets a listener transition the worker again, each payload keeping its own from/to', () => {
    const { worker } = make();
    const seen: string[] = [];
    worker.onTransition(({ to }) => {
      if (to === AgentStatus.INITIALIZING) worker.transition(AgentStatus.RUNNING);
    });
    worker.onTransition(({ from, to, record }) => seen.push(`${record.seq}:${from}->${to}`));
    worker.transition(AgentStatus.INITIALIZING);
    expect(worker.status).toBe('running');
    expect(seen.sort()).toEqual(['1:idle->initializing', '2:initializing->running']);
  });
});

describe('AgentWorker.toDict', () => {
  it('gives the snake_case wire form, project_id only when set and last_error null when none', () => {
    const { worker } = make();
    worker.transition(AgentStatus.INITIALIZING);
    expect(worker.toDict()).toEqual({
      worker_id: 'coder-build-00000000',
      role: 'coder',
      phase: 'build',
      status: 'initializing',
      retry_count: 0,
      last_error: null,
      events: [
        {
          seq: 1,
          kind: 'initializing',
          status: 'initializing',
          from: 'idle',
          timestamp: '2026-01-02T03:04:05.678Z',
        },
      ],
    });
    expect(Object.keys(worker.toDict())).not.toContain('project_id');
  });

  it('includes project_id and last_error when they are set, in the documented key order', () => {
    const { worker } = make({ projectId: 0 });
    worker.transition(AgentStatus.FAILED, 'boom');
    worker.incrementRetry();
    const dict = worker.toDict();
    expect(Object.keys(dict)).toEqual([
      'worker_id',
      'role',
      'phase',
      'project_id',
      'status',
      'retry_count',
      'last_error',
      'events',
    ]);
    expect(dict).toMatchObject({
      project_id: 0,
      status: 'failed',
      retry_count: 1,
      last_error: { message: 'boom', timestamp: '2026-01-02T03:04:05.678Z' },
    });
    expect(Object.keys(dict.events[0]!)).toEqual(['seq', 'kind', 'status', 'from', 'detail', 'timestamp']);
    expect(JSON.parse(JSON.stringify(worker))).toEqual(dict);
  });
});
