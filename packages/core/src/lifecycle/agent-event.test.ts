import { describe, expect, it } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { AgentEvent, InvalidEventError } from './agent-event.js';
import { AgentEventName, AgentEventStatus, AgentFailureClass } from './event-names.js';

const vector = loadVector('events');
const FIXED = '2026-01-01T00:00:00+00:00';

// The reference builds each vector case with these calls; the vector records their output.
const build: Record<string, () => AgentEvent> = {
  started: () => AgentEvent.started('writer', 'draft'),
  completed: () => AgentEvent.completed('writer', 'draft', 'ok'),
  completed_no_detail: () => AgentEvent.completed('writer', 'draft'),
  failed: () => AgentEvent.failed('writer', 'draft', AgentFailureClass.RATE_LIMIT, '429'),
  phase_started: () => AgentEvent.phaseStarted('draft'),
  gate_passed: () => AgentEvent.gatePassed('draft', 'observed=STRICT'),
  gate_failed: () => AgentEvent.gateFailed('draft'),
  recovery_attempted: () => AgentEvent.recoveryAttempted('writer', 'draft', 'llm_timeout: recovered'),
  with_project_data: () =>
    AgentEvent.started('writer', 'draft')
      .withProject(7)
      .withFailureClass(AgentFailureClass.TOOL_ERROR)
      .withDetail('d')
      .withData({ k: 1, s: 'x' }),
};

/** The builders stamp "now"; the vector fixes emitted_at, so compare with it pinned. */
function pinned(e: AgentEvent): AgentEvent {
  return AgentEvent.fromDict({ ...e.toDict(), emitted_at: FIXED });
}

describe('AgentEvent against the reference vectors', () => {
  it('has a builder for every vector case', () => {
    expect(Object.keys(build).sort()).toEqual(vector.cases.map((c: { case: string }) => c.case).sort());
  });

  for (const c of vector.cases) {
    describe(c.case, () => {
      it('gives the reference wire dict', () => {
        const built = build[c.case]!();
        const { emitted_at, ...rest } = built.toDict();
        const { emitted_at: _fixed, ...expected } = c.dict;
        expect(rest).toEqual(expected);
        expect(typeof emitted_at).toBe('string');
        expect(new Date(emitted_at as string).toString()).not.toBe('Invalid Date');
        expect(pinned(built).toDict()).toEqual(c.dict);
      });

      it('round-trips through JSON (string and object)', () => {
        const e = AgentEvent.fromDict(c.dict);
        expect(e.toDict()).toEqual(c.dict);
        expect(AgentEvent.fromJSON(JSON.stringify(c.dict)).toDict()).toEqual(c.dict);
        expect(AgentEvent.fromJSON(c.dict).toDict()).toEqual(c.dict);
        expect(AgentEvent.fromJSON(e.toJsonString()).toDict()).toEqual(c.dict);
        expect(JSON.parse(JSON.stringify(e))).toEqual(c.dict);
      });

      it("keeps the reference's agent.* attributes and adds only convention or agentrace names", () => {
        const attrs = pinned(build[c.case]!()).toOtelAttributes();
        for (const [k, v] of Object.entries(c.otel_attributes)) expect(attrs[k], k).toEqual(v);
        const referenceKeys = new Set(Object.keys(c.otel_attributes));
        for (const key of Object.keys(attrs)) {
          if (referenceKeys.has(key)) continue;
          expect(key).toMatch(/^(gen_ai\.|error\.type$|agentrace\.)/);
        }
        for (const v of Object.values(attrs)) expect(v).not.toBeUndefined();
        if (c.dict.role) expect(attrs['gen_ai.agent.name']).toBe(c.dict.role);
        if (c.dict.failure_class) expect(attrs['error.type']).toBe(c.dict.failure_class);
        else expect(attrs).not.toHaveProperty('error.type');
      });
    });
  }

  it('exposes every reference event name, status and failure class under the same keys', () => {
    for (const [k, v] of Object.entries(vector.names))
      expect((AgentEventName as Record<string, string>)[k]).toBe(v);
    expect(AgentEventStatus).toEqual(vector.statuses);
    expect(AgentFailureClass).toEqual(vector.failure_classes);
  });
});

describe('AgentEvent', () => {
  it('is immutable and builders return new instances', () => {
    const a = AgentEvent.started('r', 'p');
    const b = a.withDetail('x');
    expect(b).not.toBe(a);
    expect(a.detail).toBeUndefined();
    expect(b.detail).toBe('x');
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as unknown as { role: string }).role = 'other';
    }).toThrow(TypeError);
  });

  it('copies data so later mutation of the caller object does not leak in', () => {
    const data: Record<string, unknown> = { a: 1 };
    const e = AgentEvent.started('r', 'p').withData(data);
    data.a = 2;
    expect(e.data).toEqual({ a: 1 });
    expect(e.withData({ b: 2 }).data).toEqual({ a: 1, b: 2 });
  });

  it('stamps emitted_at as ISO-8601 UTC and keeps a given one verbatim', () => {
    expect(AgentEvent.started('r', 'p').emittedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(
      AgentEvent.fromDict({ event: 'agent.started', status: 'running', emitted_at: FIXED }).emittedAt,
    ).toBe(FIXED);
  });

  it.each([
    [{ status: 'running' }, 'event'],
    [{ event: 'agent.started' }, 'status'],
    [{ event: 'agent.exploded', status: 'running' }, 'event'],
    [{ event: 'agent.started', status: 'sleeping' }, 'status'],
    [{ event: 'agent.failed', status: 'failed', failure_class: 'gremlins' }, 'failure_class'],
    [{ event: 'agent.started', status: 'running', role: 5 }, 'role'],
    [{ event: 'agent.started', status: 'running', project_id: '7' }, 'project_id'],
    [{ event: 'agent.started', status: 'running', project_id: 1.5 }, 'project_id'],
    [{ event: 'agent.started', status: 'running', data: [1] }, 'data'],
  ])('rejects %j naming %s', (input, field) => {
    const err = (() => {
      try {
        AgentEvent.fromDict(input);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(InvalidEventError.isInstance(err)).toBe(true);
    expect((err as InvalidEventError).field).toBe(field);
    expect((err as InvalidEventError).name).toBe('InvalidEventError');
    expect((err as Error).message).toContain(field);
  });

  it('rejects non-objects and bad JSON with a typed error', () => {
    expect(() => AgentEvent.fromDict(null)).toThrow(InvalidEventError);
    expect(() => AgentEvent.fromDict([])).toThrow(InvalidEventError);
    try {
      AgentEvent.fromJSON('{not json');
      expect.unreachable();
    } catch (e) {
      expect((e as InvalidEventError).field).toBe('json');
      expect((e as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });

  it('masks secrets and limits the length of the recorded detail', () => {
    const e = AgentEvent.failed(
      'r',
      'p',
      AgentFailureClass.LLM_ERROR,
      'bad key sk-proj-abcdefghijklmnopqrstuv',
    );
    expect(e.toOtelAttributes()['agent.detail']).toBe('bad key [REDACTED]');
    expect(e.detail).toContain('sk-proj-');
    const long = AgentEvent.completed('r', 'p', 'x'.repeat(5000));
    expect(String(long.toOtelAttributes(100)['agent.detail'])).toHaveLength(100);
  });
});
