import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it, vi } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { phaseContext, phaseContextFromDict, phaseContextToDict } from './phase-context.js';
import {
  agentFailed,
  allAgentsComplete,
  and,
  costExceeded,
  gateBelow,
  or,
  type PolicyCondition,
  phaseCompleted,
  qualityAt,
  retryExhausted,
  timedOut,
} from './policy-conditions.js';
import {
  DEFAULT_RULE_PRIORITY,
  PolicyAction,
  type PolicyActionData,
  PolicyEngine,
  type PolicyRule,
  policyAction,
  policyActionToDict,
} from './policy-engine.js';
import { QualityLevel } from './quality-gate.js';

interface VectorRule {
  name: string;
  condition: string;
  priority: number;
  actions: Record<string, unknown>[];
}

interface VectorCase {
  context: Record<string, unknown>;
  actions: Record<string, unknown>[];
}

const vector: { rule_table: VectorRule[]; cases: VectorCase[] } = loadVector('policy');

/** The reference's rule table (`vector.rule_table`), written in code, in the table's order. */
const RULES: PolicyRule[] = [
  {
    name: 'advance',
    condition: and([phaseCompleted(), qualityAt(QualityLevel.STANDARD)]),
    actions: [{ action: PolicyAction.ADVANCE_PHASE }],
    priority: 10,
  },
  {
    name: 'feedback',
    condition: gateBelow(0.7),
    actions: [policyAction(PolicyAction.STORE_GATE_FEEDBACK, { why: 'low' })],
    priority: 20,
  },
  {
    name: 'recover',
    condition: agentFailed('writer'),
    actions: [{ action: PolicyAction.RECOVER_ONCE }],
    priority: 30,
  },
  {
    name: 'escalate',
    condition: retryExhausted(),
    actions: [{ action: PolicyAction.ESCALATE }],
    priority: 5,
  },
  {
    name: 'timeout',
    condition: timedOut(60),
    actions: [{ action: PolicyAction.ABORT_PHASE, params: { reason: 'timeout' } }],
    priority: 1,
  },
  {
    name: 'budget',
    condition: costExceeded(5.0),
    actions: [{ action: PolicyAction.ABORT_PHASE }, { action: PolicyAction.NOTIFY }],
    priority: 2,
  },
  { name: 'all_done', condition: allAgentsComplete(), actions: [{ action: PolicyAction.GENERATE_HANDOFF }] },
  {
    name: 'any',
    condition: or([agentFailed(), timedOut(3600)]),
    actions: [{ action: PolicyAction.RETRY_PHASE }],
    priority: 40,
  },
  { name: 'empty_or', condition: or([]), actions: [{ action: PolicyAction.RETRY_AGENT }], priority: 60 },
  {
    name: 'empty_and',
    condition: and([]),
    actions: [{ action: PolicyAction.NOTIFY, params: { n: 1 } }],
    priority: 99,
  },
];

describe('PolicyEngine (vectors/policy.json)', () => {
  const engine = new PolicyEngine(RULES);

  it('builds the rule table of the vector', () => {
    const table = RULES.map((r) => ({
      name: r.name,
      condition: r.condition.toString(),
      priority: r.priority ?? DEFAULT_RULE_PRIORITY,
      actions: r.actions.map(policyActionToDict),
    }));
    expect(table).toStrictEqual(vector.rule_table);
  });

  it('sorts the rules by priority', () => {
    expect(engine.rules.map((r) => r.name)).toEqual([
      'timeout',
      'budget',
      'escalate',
      'advance',
      'feedback',
      'recover',
      'any',
      'all_done',
      'empty_or',
      'empty_and',
    ]);
    expect(engine.rules.find((r) => r.name === 'all_done')?.priority).toBe(50);
  });

  it('has cases', () => {
    expect(vector.cases).toHaveLength(60);
  });

  it.each(vector.cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const ctx = phaseContextFromDict(c.context);
    expect(engine.evaluate(ctx).map(policyActionToDict)).toStrictEqual(c.actions);
    // The camelCase builder gives the same answer.
    const camel = phaseContext({
      qualityLevel: c.context['quality_level'] as 'STANDARD' | null,
      gateScore: c.context['gate_score'] as number,
      gateThreshold: c.context['gate_threshold'] as number,
      completedRoles: c.context['completed_roles'] as string[],
      failedRoles: new Set(c.context['failed_roles'] as string[]),
      allRoles: c.context['all_roles'] as string[],
      elapsedSeconds: c.context['elapsed_seconds'] as number,
      retryExhaustedScenarios: c.context['retry_exhausted_scenarios'] as string[],
      phaseCompleted: c.context['phase_completed'] as boolean,
      totalCostUsd: c.context['total_cost_usd'] as number,
    });
    expect(engine.evaluate(camel).map(policyActionToDict)).toStrictEqual(c.actions);
    // And the context survives a trip through its JSON form.
    expect(phaseContextToDict(ctx)).toStrictEqual({ phase: '', ...c.context });
  });
});

describe('PolicyEngine', () => {
  const always: PolicyCondition = { matches: () => true, toString: () => 'Always()' };
  const never: PolicyCondition = { matches: () => false, toString: () => 'Never()' };

  it('keeps the given order among equal priorities', () => {
    const engine = new PolicyEngine([
      { name: 'b', condition: always, actions: [{ action: 'notify', params: { who: 'b' } }] },
      { name: 'a', condition: always, actions: [{ action: 'notify', params: { who: 'a' } }], priority: 50 },
      { name: 'c', condition: always, actions: [{ action: 'escalate' }], priority: 49.5 },
      { name: 'd', condition: never, actions: [{ action: 'abort_phase' }], priority: -1 },
    ]);
    expect(engine.rules.map((r) => r.name)).toEqual(['d', 'c', 'b', 'a']);
    expect(engine.evaluate({}).map(policyActionToDict)).toEqual([
      { action: 'escalate' },
      { action: 'notify', params: { who: 'b' } },
      { action: 'notify', params: { who: 'a' } },
    ]);
    expect(engine.matchingRules().map((r) => r.name)).toEqual(['c', 'b', 'a']);
  });

  it('returns nothing without rules or matches', () => {
    expect(new PolicyEngine([]).evaluate()).toEqual([]);
    expect(
      new PolicyEngine([{ name: 'n', condition: never, actions: [{ action: 'notify' }] }]).evaluate(),
    ).toEqual([]);
  });

  it('passes a normalised context to conditions', () => {
    const matches = vi.fn((_ctx: unknown) => true);
    new PolicyEngine([{ name: 'spy', condition: { matches }, actions: [] }]).evaluate({ failedRoles: ['w'] });
    const seen = matches.mock.calls[0]?.[0] as { failedRoles: ReadonlySet<string>; totalCostUsd: number };
    expect(seen.failedRoles).toEqual(new Set(['w']));
    expect(seen.totalCostUsd).toBe(0);
  });

  it('is not changed by later edits to the rules it was given', () => {
    const params = { reason: 'x' };
    const actions: PolicyActionData[] = [{ action: PolicyAction.ABORT_PHASE, params }];
    const rules: PolicyRule[] = [{ name: 'r', condition: always, actions }];
    const engine = new PolicyEngine(rules);
    params.reason = 'changed';
    actions.push({ action: PolicyAction.NOTIFY, params });
    rules.push({ name: 'late', condition: always, actions: [{ action: 'escalate' }] });
    expect(engine.evaluate().map(policyActionToDict)).toEqual([
      { action: 'abort_phase', params: { reason: 'x' } },
    ]);
    expect(Object.isFrozen(engine.rules)).toBe(true);
    expect(Object.isFrozen(engine.rules[0]?.actions[0]?.params)).toBe(true);
  });

  it('lets an error thrown by a condition propagate as it is', () => {
    const boom = new Error('condition bug');
    const engine = new PolicyEngine([
      {
        name: 'bad',
        condition: {
          matches: () => {
            throw boom;
          },
        },
        actions: [],
      },
    ]);
    expect(() => engine.evaluate()).toThrow(boom);
  });

  it('rejects malformed rules with a ValidationError naming the field', () => {
    const bad: [unknown, string][] = [
      [null, 'rules'],
      [[null], 'rules[0]'],
      [[{ condition: always, actions: [] }], 'rules[0].name'],
      [
        [
          { name: 'r', condition: always, actions: [] },
          { name: '', condition: always, actions: [] },
        ],
        'rules[1].name',
      ],
      [[{ name: 'r', condition: () => true, actions: [] }], 'rules[0].condition'],
      [[{ name: 'r', actions: [] }], 'rules[0].condition'],
      [[{ name: 'r', condition: always, actions: 'notify' }], 'rules[0].actions'],
      [[{ name: 'r', condition: always, actions: [{ action: 'reboot' }] }], 'rules[0].actions[0].action'],
      [[{ name: 'r', condition: always, actions: [{ action: 'notify' }, 'notify'] }], 'rules[0].actions[1]'],
      [
        [{ name: 'r', condition: always, actions: [{ action: 'notify', params: [1] }] }],
        'rules[0].actions[0].params',
      ],
      [[{ name: 'r', condition: always, actions: [], priority: '1' }], 'rules[0].priority'],
      [[{ name: 'r', condition: always, actions: [], priority: Number.NaN }], 'rules[0].priority'],
    ];
    for (const [rules, field] of bad) {
      let err: unknown;
      try {
        new PolicyEngine(rules as PolicyRule[]);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
  });
});

describe('policyAction / policyActionToDict', () => {
  it('builds frozen actions and writes params only when there are some', () => {
    const a = policyAction(PolicyAction.NOTIFY, { channel: 'ops' });
    expect(Object.isFrozen(a)).toBe(true);
    expect(policyActionToDict(a)).toStrictEqual({ action: 'notify', params: { channel: 'ops' } });
    expect(policyActionToDict(policyAction(PolicyAction.ESCALATE))).toStrictEqual({ action: 'escalate' });
    expect(policyActionToDict({ action: 'retry_agent', params: {} })).toStrictEqual({
      action: 'retry_agent',
    });
  });

  it('copies params into the dict', () => {
    const params = { n: 1 };
    const dict = policyActionToDict({ action: 'notify', params });
    expect(dict.params).not.toBe(params);
  });

  it('rejects an unknown action', () => {
    expect(() => policyAction('reboot' as PolicyAction)).toThrow(
      expect.objectContaining({ field: 'action.action' }),
    );
  });

  it('has the nine wire values', () => {
    expect(Object.values(PolicyAction)).toEqual([
      'advance_phase',
      'retry_agent',
      'retry_phase',
      'recover_once',
      'escalate',
      'store_gate_feedback',
      'generate_handoff',
      'notify',
      'abort_phase',
    ]);
  });
});

describe('phaseContext', () => {
  it('fills defaults', () => {
    const ctx = phaseContext();
    expect(ctx).toEqual({
      phase: '',
      completedRoles: new Set(),
      failedRoles: new Set(),
      allRoles: new Set(),
      elapsedSeconds: 0,
      retryExhaustedScenarios: new Set(),
      phaseCompleted: false,
      totalCostUsd: 0,
    });
    expect(ctx.qualityLevel).toBeUndefined();
    expect(ctx.gateScore).toBeUndefined();
    expect(Object.isFrozen(ctx)).toBe(true);
  });

  it('turns lists into sets and names into levels', () => {
    const ctx = phaseContext({
      phase: 'draft',
      qualityLevel: 'strict' as 'STRICT',
      completedRoles: ['a', 'a', 'b'],
    });
    expect(ctx.qualityLevel).toBe(QualityLevel.STRICT);
    expect([...ctx.completedRoles]).toEqual(['a', 'b']);
    expect(phaseContext({ qualityLevel: null }).qualityLevel).toBeUndefined();
    expect(phaseContext({ gateScore: null }).gateScore).toBeUndefined();
  });

  it('writes the JSON form with sorted lists, leaving out an absent gate', () => {
    expect(
      phaseContextToDict(
        phaseContext({ phase: 'p', allRoles: ['b', 'a'], qualityLevel: QualityLevel.MINIMAL }),
      ),
    ).toStrictEqual({
      phase: 'p',
      quality_level: 'MINIMAL',
      completed_roles: [],
      failed_roles: [],
      all_roles: ['a', 'b'],
      elapsed_seconds: 0,
      retry_exhausted_scenarios: [],
      phase_completed: false,
      total_cost_usd: 0,
    });
  });

  it('rejects malformed fields with a ValidationError naming the field', () => {
    const bad: [unknown, string][] = [
      [{ phase: 3 }, 'phase'],
      [{ phaseCompleted: 'yes' }, 'phaseCompleted'],
      [{ qualityLevel: 'GREAT' }, 'qualityLevel'],
      [{ gateScore: Number.NaN }, 'gateScore'],
      [{ gateThreshold: '0.7' }, 'gateThreshold'],
      [{ completedRoles: 'writer' }, 'completedRoles'],
      [{ failedRoles: 5 }, 'failedRoles'],
      [{ allRoles: ['a', 2] }, 'allRoles[1]'],
      [{ retryExhaustedScenarios: [null] }, 'retryExhaustedScenarios[0]'],
      [{ elapsedSeconds: -1 }, 'elapsedSeconds'],
      [{ totalCostUsd: Number.POSITIVE_INFINITY }, 'totalCostUsd'],
    ];
    for (const [init, field] of bad) {
      expect(() => phaseContext(init as never), field).toThrow(expect.objectContaining({ field }));
    }
  });

  it('names snake_case fields when reading the JSON form', () => {
    expect(() => phaseContextFromDict({ quality_level: 'GREAT' })).toThrow(
      expect.objectContaining({ field: 'quality_level' }),
    );
    expect(() => phaseContextFromDict({ total_cost_usd: -0.5 })).toThrow(
      expect.objectContaining({ field: 'total_cost_usd' }),
    );
    expect(() => phaseContextFromDict([])).toThrow(expect.objectContaining({ field: 'obj' }));
    expect(() => phaseContextFromDict(null)).toThrow(ValidationError);
    expect(phaseContextFromDict({ unknown_key: 1, phase_completed: true }).phaseCompleted).toBe(true);
  });
});
