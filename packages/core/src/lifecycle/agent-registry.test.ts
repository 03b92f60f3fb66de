import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentRegistryOptions } from './agent-registry.js';
import {
  AgentRegistry,
  DEFAULT_REGISTRY_CAPACITY,
  UnknownWorkerError,
  WorkerIdCollisionError,
} from './agent-registry.js';
import { AgentStatus } from './agent-status.js';
import type { AgentWorker, WorkerTransition } from './agent-worker.js';
import { InvalidTransitionError } from './agent-worker.js';

const T0 = Date.UTC(2026, 5, 1);

/** A deterministic random source walking through distinct 32-bit values. */
function counter(): () => number {
  let n = 0;
  return () => (n++ % 2 ** 32) / 2 ** 32;
}

function registry(options: AgentRegistryOptions = {}): AgentRegistry {
  return new AgentRegistry({ clock: () => T0, random: counter(), ...options });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function finish(worker: AgentWorker, end: AgentStatus = AgentStatus.COMPLETED): void {
  worker.transition(AgentStatus.INITIALIZING);
  worker.transition(AgentStatus.RUNNING);
  worker.transition(end);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AgentRegistry basics', () => {
  it('creates idle workers with the id format, positional or options project id', () => {
    const reg = registry();
    const a = reg.create('planner', 'design');
    const b = reg.create('coder', 'build', 7);
    const c = reg.create('coder', 'build', { projectId: 8 });
    const d = reg.create('coder', 'build', {});
    expect(a.workerId).toBe('planner-design-00000000');
    expect(b.workerId).toBe('coder-build-00000001');
    expect([a.status, b.status, c.status]).toEqual(['idle', 'idle', 'idle']);
    expect([a.projectId, b.projectId, c.projectId, d.projectId]).toEqual([undefined, 7, 8, undefined]);
    expect(reg.size).toBe(4);
    expect(reg.capacity).toBe(DEFAULT_REGISTRY_CAPACITY);
    expect(DEFAULT_REGISTRY_CAPACITY).toBe(10_000);
  });

  it('passes its clock to the workers it creates', () => {
    const reg = registry({ clock: () => Date.UTC(2030, 0, 1) });
    const w = reg.create('r', 'p');
    w.transition(AgentStatus.INITIALIZING);
    expect(w.events[0]!.timestamp).toBe('2030-01-01T00:00:00.000Z');
  });

  it('uses cryptographic ids when no random source is given', () => {
    const reg = new AgentRegistry();
    expect(reg.create('r', 'p').workerId).toMatch(/^r-p-[0-9a-f]{8}$/);
  });

  it('finds workers by id, and returns undefined for an unknown one', () => {
    const reg = registry();
    const w = reg.create('r', 'p');
    expect(reg.get(w.workerId)).toBe(w);
    expect(reg.get('r-p-ffffffff')).toBeUndefined();
  });

  it('rejects bad worker fields with a ValidationError, registering nothing', () => {
    const reg = registry();
    expect(thrown(() => reg.create('', 'p'))).toMatchObject({ name: 'ValidationError', field: 'role' });
    expect(thrown(() => reg.create('r', 'p', 1.5))).toMatchObject({
      name: 'ValidationError',
      field: 'projectId',
    });
    expect(thrown(() => reg.create('r', 'p', { projectId: Number.NaN }))).toMatchObject({
      field: 'projectId',
    });
    expect(reg.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
    'rejects capacity %s with a ValidationError naming capacity',
    (capacity) => {
      const err = thrown(() => new AgentRegistry({ capacity: capacity as number }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ field: 'capacity', value: capacity });
      expect((err as Error).message).toMatch(/^capacity must be a positive safe integer, got /);
    },
  );

  it('rejects a clock or random source that is not a function', () => {
    expect(thrown(() => new AgentRegistry({ clock: 1 as unknown as () => number }))).toMatchObject({
      field: 'clock',
    });
    expect(thrown(() => new AgentRegistry({ random: {} as unknown as () => number }))).toMatchObject({
      field: 'random',
    });
  });
});

describe('AgentRegistry.transition', () => {
  it('transitions by id and returns the worker', () => {
    const reg = registry();
    const w = reg.create('r', 'p');
    expect(reg.transition(w.workerId, AgentStatus.INITIALIZING, 'go')).toBe(w);
    expect(w.status).toBe('initializing');
    expect(w.events[0]!.detail).toBe('go');
  });

  it('throws UnknownWorkerError naming the id for an unknown worker', () => {
    const reg = registry();
    const err = thrown(() => reg.transition('ghost-p-00000000', AgentStatus.RUNNING));
    expect(err).toBeInstanceOf(UnknownWorkerError);
    expect(err).toBeInstanceOf(AgentraceError);
    expect(UnknownWorkerError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ name: 'UnknownWorkerError', workerId: 'ghost-p-00000000' });
    expect((err as Error).message).toContain('"ghost-p-00000000"');
  });

  it('lets InvalidTransitionError through for a disallowed transition', () => {
    const reg = registry();
    const w = reg.create('r', 'p');
    expect(thrown(() => reg.transition(w.workerId, AgentStatus.COMPLETED))).toBeInstanceOf(
      InvalidTransitionError,
    );
    expect(w.status).toBe('idle');
  });
});

describe('AgentRegistry queries', () => {
  it('lists active workers in creation order, however they were ended', () => {
    const reg = registry();
    const [a, b, c, d] = [
      reg.create('r', 'p'),
      reg.create('r', 'p'),
      reg.create('s', 'p'),
      reg.create('s', 'q'),
    ];
    reg.transition(b!.workerId, AgentStatus.CANCELLED);
    d!.transition(AgentStatus.FAILED, 'direct'); // not through the registry
    expect(reg.listActive()).toEqual([a, c]);
    c!.transition(AgentStatus.INITIALIZING);
    expect(reg.listActive()).toEqual([a, c]);
    const list = reg.listActive();
    list.pop();
    expect(reg.listActive()).toHaveLength(2);
  });

  it('finds the most recently created non-terminal worker of a role and phase', () => {
    const reg = registry();
    expect(reg.getByRolePhase('coder', 'build')).toBeUndefined();
    const first = reg.create('coder', 'build');
    const second = reg.create('coder', 'build');
    reg.create('coder', 'review');
    reg.create('tester', 'build');
    expect(reg.getByRolePhase('coder', 'build')).toBe(second);
    finish(second);
    expect(reg.getByRolePhase('coder', 'build')).toBe(first);
    const third = reg.create('coder', 'build');
    expect(reg.getByRolePhase('coder', 'build')).toBe(third);
    first.transition(AgentStatus.CANCELLED);
    third.transition(AgentStatus.FAILED);
    expect(reg.getByRolePhase('coder', 'build')).toBeUndefined();
    expect(reg.getByRolePhase('coder', 'review')).toBeDefined();
  });

  it('keeps role and phase apart even when they contain the id separator', () => {
    const reg = registry();
    const ab = reg.create('a-b', 'c');
    const a = reg.create('a', 'b-c');
    expect(reg.getByRolePhase('a-b', 'c')).toBe(ab);
    expect(reg.getByRolePhase('a', 'b-c')).toBe(a);
  });

  it('lists every worker of a project, terminal ones included, in creation order', () => {
    const reg = registry();
    const a = reg.create('r', 'p', 0);
    reg.create('r', 'p', 1);
    const c = reg.create('s', 'q', { projectId: 0 });
    reg.create('r', 'p');
    finish(a, AgentStatus.FAILED);
    expect(reg.getByProject(0)).toEqual([a, c]);
    expect(reg.getByProject(1)).toHaveLength(1);
    expect(reg.getByProject(42)).toEqual([]);
  });

  it('clears everything and stops following the workers it held', () => {
    const reg = registry();
    const seen = vi.fn();
    reg.onTransition(seen);
    const w = reg.create('r', 'p', 3);
    reg.clear();
    expect(reg.size).toBe(0);
    expect(reg.get(w.workerId)).toBeUndefined();
    expect(reg.listActive()).toEqual([]);
    expect(reg.getByRolePhase('r', 'p')).toBeUndefined();
    expect(reg.getByProject(3)).toEqual([]);
    expect(thrown(() => reg.transition(w.workerId, AgentStatus.INITIALIZING))).toBeInstanceOf(
      UnknownWorkerError,
    );
    w.transition(AgentStatus.INITIALIZING);
    expect(seen).not.toHaveBeenCalled();
    const again = reg.create('r', 'p');
    expect(reg.listActive()).toEqual([again]);
  });
});

describe('AgentRegistry events', () => {
  it('announces created workers, and re-emits transitions of its workers however made', () => {
    const reg = registry();
    const created: AgentWorker[] = [];
    const transitions: WorkerTransition[] = [];
    reg.onCreate((w) => created.push(w));
    reg.onTransition((t) => transitions.push(t));
    const w = reg.create('r', 'p');
    reg.transition(w.workerId, AgentStatus.INITIALIZING);
    w.transition(AgentStatus.RUNNING, 'direct');
    expect(created).toEqual([w]);
    expect(transitions.map((t) => [t.worker, t.from, t.to, t.record.seq])).toEqual([
      [w, 'idle', 'initializing', 1],
      [w, 'initializing', 'running', 2],
    ]);
  });

  it('shows listeners an already consistent registry', () => {
    const reg = registry();
    const views: unknown[] = [];
    reg.onCreate((w) => views.push(reg.get(w.workerId) === w));
    reg.onTransition(({ worker }) => views.push(reg.listActive().includes(worker)));
    const w = reg.create('r', 'p');
    w.transition(AgentStatus.CANCELLED);
    expect(views).toEqual([true, false]);
  });

  it('survives throwing listeners', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const reg = registry({ capacity: 1 });
    const boom = () => {
      throw new Error('listener bug');
    };
    reg.onCreate(boom);
    reg.onTransition(boom);
    reg.onEvict(boom);
    const w = reg.create('r', 'p');
    reg.transition(w.workerId, AgentStatus.CANCELLED);
    const next = reg.create('r', 'p');
    expect(reg.get(w.workerId)).toBeUndefined();
    expect(reg.listActive()).toEqual([next]);
    expect(warn).toHaveBeenCalledTimes(4);
  });
});

describe('AgentRegistry bound', () => {
  it('evicts terminal workers in the order they ended, once over capacity', () => {
    const reg = registry({ capacity: 3 });
    const evicted: AgentWorker[] = [];
    reg.onEvict((w) => evicted.push(w));
    const [a, b, c] = [reg.create('r', 'p', 1), reg.create('r', 'p', 1), reg.create('r', 'p')];
    finish(b!);
    finish(a!);
    expect(reg.size).toBe(3);
    const d = reg.create('r', 'p');
    expect(evicted).toEqual([b]);
    expect(reg.size).toBe(3);
    expect(reg.get(b!.workerId)).toBeUndefined();
    expect(reg.getByProject(1)).toEqual([a]);
    expect(thrown(() => reg.transition(b!.workerId, AgentStatus.FAILED))).toBeInstanceOf(UnknownWorkerError);
    reg.create('r', 'p');
    expect(evicted).toEqual([b, a]);
    expect(reg.getByProject(1)).toEqual([]);
    expect(reg.listActive()).toHaveLength(3);
    expect(reg.listActive()).toEqual(expect.arrayContaining([c, d]));
  });

  it('never evicts active workers, and catches up once some have ended', () => {
    const reg = registry({ capacity: 2 });
    const workers = Array.from({ length: 5 }, () => reg.create('r', 'p'));
    expect(reg.size).toBe(5);
    for (const w of workers.slice(0, 4)) finish(w);
    expect(reg.size).toBe(5); // eviction happens on create
    const last = reg.create('r', 'p');
    expect(reg.size).toBe(2);
    expect(reg.listActive()).toEqual([workers[4], last]);
  });

  it('stays within capacity over many workers, with O(1) work per create (no scans)', () => {
    const capacity = 1_000;
    const longLived = 400;
    const churn = 100_000;
    const reg = registry({ capacity });
    let evictions = 0;
    reg.onEvict(() => evictions++);
    const keep = Array.from({ length: longLived }, (_, i) => reg.create('keeper', 'p', i % 3));

    // A scan over held workers would read every worker's status per create: count those reads.
    const proto = Object.getPrototypeOf(keep[0]) as object;
    const terminalReads = vi.spyOn(proto as AgentWorker, 'isTerminal', 'get');
    const statusReads = vi.spyOn(proto as AgentWorker, 'status', 'get');

    let maxSize = 0;
    for (let i = 0; i < churn; i++) {
      const w = reg.create('worker', 'p', i % 3);
      w.transition(i % 2 ? AgentStatus.CANCELLED : AgentStatus.FAILED);
      maxSize = Math.max(maxSize, reg.size);
    }
    expect(terminalReads.mock.calls.length + statusReads.mock.calls.length).toBeLessThanOrEqual(3 * churn);

    expect(maxSize).toBe(capacity);
    expect(reg.size).toBe(capacity);
    expect(evictions).toBe(longLived + churn - capacity);
    expect(reg.listActive()).toEqual(keep);
    for (const w of keep) expect(reg.get(w.workerId)).toBe(w);
    // The newest terminal workers are the ones kept.
    const held = reg.getByProject(0).concat(reg.getByProject(1), reg.getByProject(2));
    expect(held).toHaveLength(capacity);
    expect(held.filter((w) => w.role === 'worker')).toHaveLength(capacity - longLived);
  });
});

describe('AgentRegistry id collisions', () => {
  it('retries a colliding id', () => {
    const values = [0, 0, 0.5];
    const reg = new AgentRegistry({ random: () => values.shift() ?? 0.25 });
    expect(reg.create('r', 'p').workerId).toBe('r-p-00000000');
    expect(reg.create('r', 'p').workerId).toBe('r-p-80000000');
  });

  it('gives up with WorkerIdCollisionError when the random source is constant', () => {
    const reg = new AgentRegistry({ random: () => 0 });
    reg.create('r', 'p');
    expect(reg.create('r', 'q').workerId).toBe('r-q-00000000'); // other role/phase: no collision
    const err = thrown(() => reg.create('r', 'p'));
    expect(err).toBeInstanceOf(WorkerIdCollisionError);
    expect(err).toMatchObject({ name: 'WorkerIdCollisionError', workerId: 'r-p-00000000', attempts: 8 });
    expect((err as Error).message).toMatch(/after 8 attempts.*constant/);
    expect(reg.size).toBe(2);
  });
});

// Found by the reliability fuzzer: a null options object was a TypeError.
describe('AgentRegistry with options that are not an object', () => {
  it.each([null, 5, 'x'])('%o is refused with a ValidationError naming options', (options) => {
    expect(() => new AgentRegistry(options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'options' }),
    );
  });
});
