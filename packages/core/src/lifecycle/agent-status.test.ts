import { describe, expect, it } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import {
  AgentStatus,
  allowedTransitions,
  canTransition,
  isAgentStatus,
  isTerminalStatus,
  TERMINAL_STATUSES,
} from './agent-status.js';
import { AgentWorker, InvalidTransitionError } from './agent-worker.js';

interface LifecycleVector {
  allowed: Record<string, boolean>;
  statuses: AgentStatus[];
}

const vector = loadVector('lifecycle') as LifecycleVector;
const cells = Object.entries(vector.allowed).map(([cell, allowed]) => {
  const [from, to] = cell.split('->') as [AgentStatus, AgentStatus];
  return { cell, from, to, allowed };
});

/**
 * Shortest path from idle to each status, found over the vector's own table (not ours), so driving a real
 * worker into a from-state does not presuppose the table under test.
 */
function pathsFromIdle(): Map<AgentStatus, AgentStatus[]> {
  const paths = new Map<AgentStatus, AgentStatus[]>([[AgentStatus.IDLE, []]]);
  const queue: AgentStatus[] = [AgentStatus.IDLE];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const { from, to, allowed } of cells) {
      if (from === s && allowed && !paths.has(to)) {
        paths.set(to, [...paths.get(s)!, to]);
        queue.push(to);
      }
    }
  }
  return paths;
}

const paths = pathsFromIdle();

function workerIn(status: AgentStatus): AgentWorker {
  const worker = new AgentWorker({ role: 'r', phase: 'p', random: () => 0.5, clock: () => 0 });
  for (const step of paths.get(status)!) worker.transition(step);
  expect(worker.status).toBe(status);
  return worker;
}

describe('AgentStatus', () => {
  it('has exactly the vector statuses, in order, with UPPER_SNAKE keys', () => {
    expect(Object.values(AgentStatus)).toEqual(vector.statuses);
    for (const [key, value] of Object.entries(AgentStatus)) expect(key).toBe(value.toUpperCase());
  });

  it('recognises its own values only', () => {
    for (const s of vector.statuses) expect(isAgentStatus(s)).toBe(true);
    for (const v of ['RUNNING', 'done', '', 'toString', 'constructor', undefined, 3]) {
      expect(isAgentStatus(v)).toBe(false);
    }
  });

  it('has completed, failed and cancelled as the terminal statuses', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'completed', 'failed']);
    expect(Object.isFrozen(TERMINAL_STATUSES)).toBe(true);
    for (const s of vector.statuses) {
      const terminal = vector.statuses.every((to) => !vector.allowed[`${s}->${to}`]);
      expect(isTerminalStatus(s), s).toBe(terminal);
    }
    expect(isTerminalStatus('done' as AgentStatus)).toBe(false);
  });
});

describe('the lifecycle table against vectors/lifecycle.json', () => {
  it('covers every from/to pair of the statuses', () => {
    expect(cells).toHaveLength(vector.statuses.length ** 2);
    expect(paths.size).toBe(vector.statuses.length);
  });

  it.each(cells)('canTransition: $cell is $allowed', ({ from, to, allowed }) => {
    expect(canTransition(from, to)).toBe(allowed);
    expect(allowedTransitions(from).includes(to)).toBe(allowed);
  });

  it.each(cells)('AgentWorker: $cell is $allowed', ({ from, to, allowed }) => {
    const worker = workerIn(from);
    const before = worker.events.length;
    if (allowed) {
      const record = worker.transition(to, 'why');
      expect(worker.status).toBe(to);
      expect(record).toMatchObject({ seq: before + 1, kind: to, status: to, from, detail: 'why' });
      expect(worker.events).toHaveLength(before + 1);
    } else {
      let err: unknown;
      try {
        worker.transition(to, 'why');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidTransitionError);
      expect(err).toMatchObject({ from, to, workerId: worker.workerId });
      expect(worker.status).toBe(from);
      expect(worker.events).toHaveLength(before);
    }
  });

  it('rejects unknown statuses from untyped callers', () => {
    expect(canTransition('bogus' as AgentStatus, AgentStatus.RUNNING)).toBe(false);
    expect(canTransition(AgentStatus.IDLE, 'bogus' as AgentStatus)).toBe(false);
    expect(allowedTransitions('toString' as AgentStatus)).toEqual([]);
  });

  it('returns frozen allowed lists', () => {
    for (const s of vector.statuses) expect(Object.isFrozen(allowedTransitions(s))).toBe(true);
  });
});
