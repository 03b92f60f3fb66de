import { describe, expect, it, vi } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { FailureScenario } from './failure-scenario.js';
import {
  attemptRecovery,
  EscalationPolicy,
  RecoveryContext,
  RecoveryResult,
  RecoveryStep,
  recipeFor,
} from './recovery.js';

interface ScenarioVector {
  steps: string[];
  max_attempts: number;
  escalation_policy: string;
  sequence: Record<string, unknown>[];
  event_types: string[];
}

const vector = loadVector('recovery') as Record<string, ScenarioVector>;
const cases = Object.entries(vector);

/** A wall clock that moves one second per reading, from a fixed start. */
function steppingClock(start = Date.UTC(2026, 0, 1)) {
  let now = start - 1000;
  return () => (now += 1000);
}

describe('recovery: reference vectors', () => {
  it('covers every reference scenario', () => {
    const reference = Object.values(FailureScenario).filter((s) => s !== FailureScenario.RATE_LIMIT);
    expect(Object.keys(vector).sort()).toEqual([...reference].sort());
  });

  it('RecoveryStep and EscalationPolicy hold every value the vectors use', () => {
    for (const v of Object.values(vector)) {
      for (const step of v.steps) expect(Object.values(RecoveryStep)).toContain(step);
      expect(Object.values(EscalationPolicy)).toContain(v.escalation_policy);
    }
  });

  it.each(cases)('%s: recipe', (scenario, v) => {
    const recipe = recipeFor(scenario as FailureScenario);
    expect(recipe.scenario).toBe(scenario);
    expect(recipe.steps).toEqual(v.steps);
    expect(recipe.maxAttempts).toBe(v.max_attempts);
    expect(recipe.escalationPolicy).toBe(v.escalation_policy);
    expect(Object.isFrozen(recipe)).toBe(true);
    expect(Object.isFrozen(recipe.steps)).toBe(true);
  });

  it.each(cases)('%s: sequence of results and records', (name, v) => {
    const scenario = name as FailureScenario;
    const ctx = new RecoveryContext({ wallClock: steppingClock() });
    const results = v.sequence.map(() => attemptRecovery(scenario, ctx));
    expect(results.map((r) => r.toDict())).toEqual(v.sequence);
    expect(JSON.parse(JSON.stringify(results))).toEqual(v.sequence);
    expect(ctx.records.map((r) => r.eventType)).toEqual(v.event_types);
    expect(ctx.attemptCount(scenario)).toBe(v.max_attempts);
    expect(ctx.isExhausted(scenario)).toBe(true);
    expect(ctx.exhaustedScenarios()).toEqual([scenario]);
    ctx.records.forEach((record, i) => {
      expect(record.scenario).toBe(scenario);
      expect(record.recipeSteps).toEqual(v.steps);
      expect(record.result).toBe(results[i]);
      expect(record.timestamp).toBe(new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString());
      expect(record.toDict()).toEqual({
        event_type: v.event_types[i],
        scenario,
        recipe_steps: v.steps,
        result: v.sequence[i],
        timestamp: record.timestamp,
      });
      expect(JSON.parse(JSON.stringify(record))).toEqual(record.toDict());
    });
  });
});

describe('recovery: rate_limit (agentrace addition)', () => {
  it('backs off, then switches provider; three attempts; alerts a human', () => {
    const recipe = recipeFor('rate_limit');
    expect(recipe.steps).toEqual(['retry_with_backoff', 'switch_provider']);
    expect(recipe.maxAttempts).toBe(3);
    expect(recipe.escalationPolicy).toBe('alert_human');
  });

  it('escalates on the fourth attempt', () => {
    const ctx = new RecoveryContext();
    const outcomes = [1, 2, 3, 4].map(() => attemptRecovery('rate_limit', ctx).outcome);
    expect(outcomes).toEqual(['recovered', 'recovered', 'recovered', 'escalation_required']);
    expect(ctx.records.at(-1)?.result.reason).toBe('max attempts (3) exhausted for rate_limit');
  });
});

describe('RecoveryContext', () => {
  it('counts scenarios apart', () => {
    const ctx = new RecoveryContext();
    attemptRecovery('llm_timeout', ctx);
    attemptRecovery('tool_execution_error', ctx);
    attemptRecovery('tool_execution_error', ctx);
    expect(ctx.attemptCount('llm_timeout')).toBe(1);
    expect(ctx.attemptCount('tool_execution_error')).toBe(1);
    expect(ctx.attemptCount('provider_failure')).toBe(0);
    expect(ctx.isExhausted('llm_timeout')).toBe(false);
    expect(ctx.exhaustedScenarios()).toEqual(['tool_execution_error']);
  });

  it('lists exhausted scenarios in the order they were first escalated', () => {
    const ctx = new RecoveryContext();
    for (const s of ['memory_corruption', 'context_overflow', 'memory_corruption'] as const) {
      attemptRecovery(s, ctx);
      attemptRecovery(s, ctx);
    }
    expect(ctx.exhaustedScenarios()).toEqual(['memory_corruption', 'context_overflow']);
  });

  it('keeps the newest maxRecords records, with exact counts and exhaustion', () => {
    const ctx = new RecoveryContext({ maxRecords: 2, wallClock: steppingClock() });
    attemptRecovery('tool_execution_error', ctx); // succeeded
    attemptRecovery('tool_execution_error', ctx); // escalated
    attemptRecovery('llm_timeout', ctx);
    attemptRecovery('llm_timeout', ctx);
    expect(ctx.records.map((r) => `${r.scenario}:${r.eventType}`)).toEqual([
      'llm_timeout:succeeded',
      'llm_timeout:succeeded',
    ]);
    expect(ctx.droppedRecords).toBe(2);
    expect(ctx.attemptCount('tool_execution_error')).toBe(1);
    expect(ctx.isExhausted('tool_execution_error')).toBe(true);
  });

  it('keeps 1000 records by default', () => {
    const ctx = new RecoveryContext();
    for (let i = 0; i < 1005; i++) attemptRecovery('dependency_timeout', ctx);
    expect(ctx.records).toHaveLength(1000);
    expect(ctx.droppedRecords).toBe(5);
    expect(ctx.attemptCount('dependency_timeout')).toBe(1);
  });

  it('hands out copies: the record list cannot be changed from outside', () => {
    const ctx = new RecoveryContext();
    attemptRecovery('llm_error', ctx);
    const records = ctx.records as unknown[];
    records.pop();
    expect(ctx.records).toHaveLength(1);
    expect(Object.isFrozen(ctx.records[0])).toBe(true);
  });

  it('tells onRecord listeners about each record; a throwing listener breaks nothing', () => {
    const ctx = new RecoveryContext();
    const seen: string[] = [];
    ctx.onRecord(() => {
      throw new Error('listener bug');
    });
    const sub = ctx.onRecord((r) => seen.push(`${r.scenario}:${r.eventType}`));
    attemptRecovery('tool_execution_error', ctx);
    attemptRecovery('tool_execution_error', ctx);
    sub.dispose();
    attemptRecovery('llm_error', ctx);
    expect(seen).toEqual(['tool_execution_error:succeeded', 'tool_execution_error:escalated']);
    expect(ctx.records).toHaveLength(3);
  });

  it('uses the system wall clock by default', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 4, 2, 3, 4, 5) });
    try {
      const ctx = new RecoveryContext();
      attemptRecovery('llm_error', ctx);
      expect(ctx.records[0]?.timestamp).toBe('2026-05-02T03:04:05.000Z');
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets recovery code add its own attempted/failed records', () => {
    const ctx = new RecoveryContext({ wallClock: () => 0 });
    const result = new RecoveryResult({ outcome: 'recovered', recoveredSteps: ['retry_with_backoff'] });
    const record = ctx.record({ eventType: 'attempted', scenario: 'llm_timeout', result });
    expect(record.toDict()).toEqual({
      event_type: 'attempted',
      scenario: 'llm_timeout',
      recipe_steps: ['retry_with_backoff'],
      result: {
        outcome: 'recovered',
        steps_taken: 1,
        recovered_steps: ['retry_with_backoff'],
        remaining_steps: [],
        reason: '',
      },
      timestamp: '1970-01-01T00:00:00.000Z',
    });
    expect(ctx.attemptCount('llm_timeout')).toBe(0);
    expect(ctx.isExhausted('llm_timeout')).toBe(false);
  });

  it('rejects bad records and options, naming the field', () => {
    const ctx = new RecoveryContext();
    const result = new RecoveryResult({ outcome: 'recovered' });
    const field = (f: string) => expect.objectContaining({ name: 'ValidationError', field: f });
    expect(() => ctx.record({ eventType: 'started' as 'attempted', scenario: 'llm_error', result })).toThrow(
      field('eventType'),
    );
    expect(() => ctx.record({ eventType: 'failed', scenario: 'nope' as 'llm_error', result })).toThrow(
      field('scenario'),
    );
    expect(() => new RecoveryContext({ maxRecords: 0 })).toThrow(field('maxRecords'));
    expect(() => new RecoveryContext({ maxRecords: 1.5 })).toThrow(field('maxRecords'));
    expect(() => new RecoveryContext({ wallClock: 5 as unknown as () => number })).toThrow(
      field('wallClock'),
    );
    expect(() => new RecoveryResult({ outcome: 'fine' as 'recovered' })).toThrow(field('outcome'));
    expect(ctx.records).toHaveLength(0);
  });
});

describe('attemptRecovery', () => {
  it('reports a partial recovery with a failed record when a step failed', () => {
    const ctx = new RecoveryContext();
    const result = attemptRecovery('provider_failure', ctx, { completedSteps: 1 });
    expect(result.toDict()).toEqual({
      outcome: 'partial_recovery',
      steps_taken: 1,
      recovered_steps: ['switch_provider'],
      remaining_steps: ['retry_with_backoff'],
      reason: '',
    });
    expect(ctx.records.map((r) => r.eventType)).toEqual(['failed']);
    expect(ctx.attemptCount('provider_failure')).toBe(1);
    expect(attemptRecovery('provider_failure', ctx, { completedSteps: 0 }).remainingSteps).toEqual([
      'switch_provider',
      'retry_with_backoff',
    ]);
    expect(attemptRecovery('provider_failure', ctx, { completedSteps: 0 }).outcome).toBe(
      'escalation_required',
    );
  });

  it('returns frozen results', () => {
    const result = attemptRecovery('llm_error', new RecoveryContext());
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.recoveredSteps)).toBe(true);
  });

  it('rejects an unknown scenario or a bad completedSteps without recording anything', () => {
    const ctx = new RecoveryContext();
    const field = (f: string) => expect.objectContaining({ name: 'ValidationError', field: f });
    expect(() => attemptRecovery('meltdown' as FailureScenario, ctx)).toThrow(field('scenario'));
    expect(() => recipeFor('meltdown' as FailureScenario)).toThrow(field('scenario'));
    expect(() => attemptRecovery('llm_error', ctx, { completedSteps: 3 })).toThrow(field('completedSteps'));
    expect(() => attemptRecovery('llm_error', ctx, { completedSteps: -1 })).toThrow(field('completedSteps'));
    expect(() => attemptRecovery('llm_error', ctx, { completedSteps: 0.5 })).toThrow(/from 0 to 2/);
    expect(ctx.records).toHaveLength(0);
    expect(ctx.attemptCount('llm_error')).toBe(0);
  });
});
