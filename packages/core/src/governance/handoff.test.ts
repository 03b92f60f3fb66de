import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import type { HandoffInit } from './handoff.js';
import { Handoff } from './handoff.js';

const T0 = Date.UTC(2026, 2, 4, 5, 6, 7, 89);

function init(extra: Partial<HandoffInit> = {}): HandoffInit {
  return {
    sourceRole: 'planner',
    targetRole: 'coder',
    phase: 'build',
    reason: 'plan approved',
    targetWorkerId: 'coder-build-0000abcd',
    clock: () => T0,
    ...extra,
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('Handoff', () => {
  it('records who hands what to whom, stamped with the injected clock in ISO-8601 UTC', () => {
    const h = new Handoff(init({ context: { plan: ['parse', 'emit'] }, projectId: 7 }));
    expect(h).toMatchObject({
      sourceRole: 'planner',
      targetRole: 'coder',
      phase: 'build',
      reason: 'plan approved',
      context: { plan: ['parse', 'emit'] },
      projectId: 7,
      targetWorkerId: 'coder-build-0000abcd',
      createdAt: '2026-03-04T05:06:07.089Z',
    });
  });

  it('defaults the context to an empty object and the clock to Date.now', () => {
    const before = Date.now();
    const h = new Handoff({ ...init(), clock: undefined });
    const created = Date.parse(h.createdAt);
    expect(h.context).toEqual({});
    expect(h.projectId).toBeUndefined();
    expect(h.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(Date.now());
  });

  it('is frozen, context included, deeply', () => {
    const h = new Handoff(init({ context: { files: ['a.ts'], meta: { depth: 1 } } }));
    expect(Object.isFrozen(h)).toBe(true);
    expect(Object.isFrozen(h.context)).toBe(true);
    expect(Object.isFrozen(h.context['files'])).toBe(true);
    expect(Object.isFrozen(h.context['meta'])).toBe(true);
    expect(() => {
      (h as { reason: string }).reason = 'changed';
    }).toThrow(TypeError);
    expect(() => (h.context['files'] as string[]).push('b.ts')).toThrow(TypeError);
    expect(() => {
      (h.context['meta'] as { depth: number }).depth = 2;
    }).toThrow(TypeError);
  });

  it("copies the caller's context, so later changes to it do not leak in", () => {
    const context = { files: ['a.ts'], meta: { depth: 1 } };
    const h = new Handoff(init({ context }));
    context.files.push('b.ts');
    context.meta.depth = 2;
    (context as Record<string, unknown>)['extra'] = true;
    expect(h.context).toEqual({ files: ['a.ts'], meta: { depth: 1 } });
    expect(Object.isFrozen(context)).toBe(false);
    expect(Object.isFrozen(context.files)).toBe(false);
  });

  it('copies cyclic and non-JSON structured data (dates, maps, typed arrays)', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node['self'] = node;
    const h = new Handoff(
      init({ context: { node, at: new Date(T0), seen: new Map([['a', 1]]), bytes: new Uint8Array([1, 2]) } }),
    );
    const copy = h.context['node'] as Record<string, unknown>;
    expect(copy).not.toBe(node);
    expect(copy['self']).toBe(copy);
    expect(Object.isFrozen(copy)).toBe(true);
    expect(h.context['at']).toEqual(new Date(T0));
    expect(h.context['seen']).toEqual(new Map([['a', 1]]));
    expect(h.context['bytes']).toEqual(new Uint8Array([1, 2]));
  });

  it.each([
    ['sourceRole', { sourceRole: '' }],
    ['targetRole', { targetRole: 5 as unknown as string }],
    ['phase', { phase: undefined as unknown as string }],
    ['reason', { reason: undefined as unknown as string }],
    ['targetWorkerId', { targetWorkerId: '' }],
    ['projectId', { projectId: 2.5 }],
    ['context', { context: null as unknown as Record<string, unknown> }],
    ['context', { context: ['a'] as unknown as Record<string, unknown> }],
    ['context', { context: 'text' as unknown as Record<string, unknown> }],
    ['context', { context: { callback: () => 1 } }],
    ['clock', { clock: 'now' as unknown as () => number }],
    ['clock', { clock: () => Number.NaN }],
  ])('rejects a bad %s with a ValidationError naming it', (field, extra) => {
    const err = thrown(() => new Handoff(init(extra)));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field });
    expect((err as Error).message).toMatch(new RegExp(`^${field} must be`));
  });

  it('names the uncloneable part of a context in the error', () => {
    const err = thrown(() => new Handoff(init({ context: { callback: () => 1 } })));
    expect((err as Error).message).toMatch(
      /^context must be structured-cloneable data \(.+\), got an object$/,
    );
  });

  it('accepts an empty reason', () => {
    expect(new Handoff(init({ reason: '' })).reason).toBe('');
  });

  it('rejects a missing init object', () => {
    expect(thrown(() => new Handoff(undefined as unknown as HandoffInit))).toMatchObject({
      name: 'ValidationError',
      field: 'init',
    });
  });
});

describe('Handoff.toDict', () => {
  it('gives the snake_case wire form in order, project_id only when set', () => {
    const h = new Handoff(init({ context: { k: 'v' }, projectId: 0 }));
    const dict = h.toDict();
    expect(dict).toEqual({
      source_role: 'planner',
      target_role: 'coder',
      phase: 'build',
      reason: 'plan approved',
      context: { k: 'v' },
      project_id: 0,
      target_worker_id: 'coder-build-0000abcd',
      created_at: '2026-03-04T05:06:07.089Z',
    });
    expect(Object.keys(dict)).toEqual([
      'source_role',
      'target_role',
      'phase',
      'reason',
      'context',
      'project_id',
      'target_worker_id',
      'created_at',
    ]);
    expect(Object.keys(new Handoff(init()).toDict())).not.toContain('project_id');
    expect(JSON.parse(JSON.stringify(h))).toEqual(dict);
  });

  it('hands out a mutable copy of the context that does not reach the handoff', () => {
    const h = new Handoff(init({ context: { list: [1] } }));
    const dict = h.toDict();
    (dict.context['list'] as number[]).push(2);
    dict.context['added'] = true;
    expect(h.context).toEqual({ list: [1] });
  });
});
