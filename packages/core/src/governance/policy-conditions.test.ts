import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it, vi } from 'vitest';
import { type PhaseContextInit, phaseContext } from './phase-context.js';
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
import { QualityLevel } from './quality-gate.js';

const at = (init: PhaseContextInit) => phaseContext(init);

describe('and / or', () => {
  const yes: PolicyCondition = { matches: () => true, toString: () => 'Yes()' };
  const no: PolicyCondition = { matches: () => false, toString: () => 'No()' };

  it('treat empty lists as true for and, false for or', () => {
    expect(and([]).matches(at({}))).toBe(true);
    expect(or([]).matches(at({}))).toBe(false);
    expect(String(and([]))).toBe('And([])');
    expect(String(or([]))).toBe('Or([])');
  });

  it('combine', () => {
    expect(and([yes, yes]).matches(at({}))).toBe(true);
    expect(and([yes, no]).matches(at({}))).toBe(false);
    expect(or([no, yes]).matches(at({}))).toBe(true);
    expect(or([no, no]).matches(at({}))).toBe(false);
    expect(String(or([and([yes]), no]))).toBe('Or([And([Yes()]), No()])');
  });

  it('stop at the first deciding condition', () => {
    const spy = vi.fn(() => true);
    const tail: PolicyCondition = { matches: spy };
    and([no, tail]).matches(at({}));
    or([yes, tail]).matches(at({}));
    expect(spy).not.toHaveBeenCalled();
  });

  it('are not changed by later edits to the list', () => {
    const list = [yes];
    const c = and(list);
    list.push(no);
    expect(c.matches(at({}))).toBe(true);
  });

  it('reject a non-condition naming its index', () => {
    expect(() => and([yes, {} as PolicyCondition])).toThrow(
      expect.objectContaining({ field: 'conditions[1]' }),
    );
    expect(() => or('x' as unknown as PolicyCondition[])).toThrow(
      expect.objectContaining({ field: 'conditions' }),
    );
  });
});

describe('qualityAt', () => {
  it('matches at or above the level, never without one', () => {
    const c = qualityAt(QualityLevel.STRICT);
    expect(c.matches(at({ qualityLevel: QualityLevel.STANDARD }))).toBe(false);
    expect(c.matches(at({ qualityLevel: QualityLevel.STRICT }))).toBe(true);
    expect(c.matches(at({ qualityLevel: QualityLevel.RELEASE }))).toBe(true);
    expect(qualityAt(QualityLevel.MINIMAL).matches(at({}))).toBe(false);
    expect(String(c)).toBe('QualityAt(STRICT)');
    expect(String(qualityAt('RELEASE'))).toBe('QualityAt(RELEASE)');
  });

  it('rejects an unknown level', () => {
    expect(() => qualityAt(9 as QualityLevel)).toThrow(expect.objectContaining({ field: 'level' }));
  });
});

describe('phaseCompleted', () => {
  it('follows the flag', () => {
    expect(phaseCompleted().matches(at({ phaseCompleted: true }))).toBe(true);
    expect(phaseCompleted().matches(at({}))).toBe(false);
    expect(String(phaseCompleted())).toBe('PhaseCompleted()');
  });
});

describe('agentFailed', () => {
  it('matches a given role, or any role', () => {
    expect(agentFailed('writer').matches(at({ failedRoles: ['editor'] }))).toBe(false);
    expect(agentFailed('writer').matches(at({ failedRoles: ['editor', 'writer'] }))).toBe(true);
    expect(agentFailed().matches(at({ failedRoles: ['editor'] }))).toBe(true);
    expect(agentFailed().matches(at({}))).toBe(false);
    expect(String(agentFailed('writer'))).toBe("AgentFailed(role='writer')");
    expect(String(agentFailed())).toBe('AgentFailed(role=None)');
  });

  it('rejects an empty role', () => {
    expect(() => agentFailed('')).toThrow(expect.objectContaining({ field: 'role' }));
  });
});

describe('gateBelow', () => {
  it('compares the score strictly below its threshold', () => {
    const c = gateBelow(0.7);
    expect(c.matches(at({ gateScore: 0.69 }))).toBe(true);
    expect(c.matches(at({ gateScore: 0.7 }))).toBe(false);
    expect(c.matches(at({ gateScore: 0.9 }))).toBe(false);
    // Its own threshold decides, not the context's.
    expect(c.matches(at({ gateScore: 0.5, gateThreshold: 0.4 }))).toBe(true);
    expect(String(c)).toBe('GateBelow(0.7)');
    expect(String(gateBelow(1))).toBe('GateBelow(1.0)');
  });

  it('never matches without a score', () => {
    expect(gateBelow(0.7).matches(at({}))).toBe(false);
  });

  it("uses the context's threshold when given none", () => {
    const c = gateBelow();
    expect(c.matches(at({ gateScore: 0.5, gateThreshold: 0.6 }))).toBe(true);
    expect(c.matches(at({ gateScore: 0.6, gateThreshold: 0.6 }))).toBe(false);
    expect(c.matches(at({ gateScore: 0.5 }))).toBe(false);
    expect(c.matches(at({ gateThreshold: 0.5 }))).toBe(false);
    expect(String(c)).toBe('GateBelow(threshold)');
  });

  it('rejects a non-finite threshold', () => {
    expect(() => gateBelow(Number.NaN)).toThrow(expect.objectContaining({ field: 'threshold' }));
  });
});

describe('retryExhausted', () => {
  it('matches a given scenario, or any', () => {
    const ctx = at({ retryExhaustedScenarios: ['llm_timeout'] });
    expect(retryExhausted('llm_timeout').matches(ctx)).toBe(true);
    expect(retryExhausted('llm_error').matches(ctx)).toBe(false);
    expect(retryExhausted().matches(ctx)).toBe(true);
    expect(retryExhausted().matches(at({}))).toBe(false);
    expect(String(retryExhausted())).toBe('RetryExhausted(scenario=None)');
    expect(String(retryExhausted('llm_error'))).toBe("RetryExhausted(scenario='llm_error')");
  });

  it('rejects a non-string scenario', () => {
    expect(() => retryExhausted(3 as unknown as string)).toThrow(ValidationError);
  });
});

describe('timedOut', () => {
  it('matches strictly after the limit', () => {
    expect(timedOut(60).matches(at({ elapsedSeconds: 59.9 }))).toBe(false);
    expect(timedOut(60).matches(at({ elapsedSeconds: 60 }))).toBe(false);
    expect(timedOut(60).matches(at({ elapsedSeconds: 60.1 }))).toBe(true);
    expect(String(timedOut(60))).toBe('TimedOut(60s)');
    expect(String(timedOut(1.5))).toBe('TimedOut(1.5s)');
  });

  it('rejects a negative limit', () => {
    expect(() => timedOut(-1)).toThrow(expect.objectContaining({ field: 'seconds' }));
  });
});

describe('costExceeded', () => {
  it('matches strictly above the limit', () => {
    expect(costExceeded(5).matches(at({ totalCostUsd: 4.99 }))).toBe(false);
    expect(costExceeded(5).matches(at({ totalCostUsd: 5 }))).toBe(false);
    expect(costExceeded(5).matches(at({ totalCostUsd: 5.01 }))).toBe(true);
    expect(String(costExceeded(5))).toBe('CostExceeded($5.0)');
    expect(String(costExceeded(0.25))).toBe('CostExceeded($0.25)');
  });

  it('rejects a bad limit', () => {
    expect(() => costExceeded(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ field: 'usd' }));
    expect(() => costExceeded('5' as unknown as number)).toThrow(expect.objectContaining({ field: 'usd' }));
  });
});

describe('allAgentsComplete', () => {
  const all = ['critic', 'editor', 'writer'];

  it('matches when completed and failed together are every role', () => {
    const c = allAgentsComplete();
    expect(
      c.matches(at({ allRoles: all, completedRoles: ['critic', 'editor'], failedRoles: ['writer'] })),
    ).toBe(true);
    expect(c.matches(at({ allRoles: all, completedRoles: all }))).toBe(true);
    expect(
      c.matches(at({ allRoles: all, completedRoles: ['editor', 'writer'], failedRoles: ['editor'] })),
    ).toBe(false);
    expect(String(c)).toBe('AllAgentsComplete()');
  });

  it('does not match when a finished role is not one of the phase (the sets must be equal)', () => {
    expect(allAgentsComplete().matches(at({ allRoles: ['a'], completedRoles: ['a', 'b'] }))).toBe(false);
    expect(allAgentsComplete().matches(at({ allRoles: ['a', 'b'], completedRoles: ['a', 'c'] }))).toBe(false);
  });

  it('matches vacuously with no roles at all', () => {
    expect(allAgentsComplete().matches(at({}))).toBe(true);
  });
});
