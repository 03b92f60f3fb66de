import type { AttemptRecord } from '@agentrace/core';
import type { CostSummary } from '@agentrace/otel-exporter';
import { usd } from './narrator.js';
import type { RoundReport, TurnReport } from './research-workflow.js';

/** A circuit-breaker transition the demo saw. */
export interface BreakerTransition {
  readonly round: number;
  readonly breaker: string;
  readonly from: string;
  readonly to: string;
}

/** What the demo promises to show. */
export const HighlightName = {
  RATE_LIMIT: 'rate_limit',
  TIMEOUT: 'timeout',
  PERMISSION_DENIED: 'permission_denied',
  GUARDRAIL_BLOCKED: 'guardrail_blocked',
  BREAKER_OPENED: 'breaker_opened',
  BREAKER_RECOVERED: 'breaker_recovered',
  HANDOFF: 'handoff',
  BUDGET_WARNING: 'budget_warning',
  RECOVERY_CHAIN: 'recovery_chain',
  COST_TABLE: 'cost_table',
} as const;
export type HighlightName = (typeof HighlightName)[keyof typeof HighlightName];

/** One promise of the demo, whether this run kept it, and where it shows. */
export interface Highlight {
  readonly name: HighlightName;
  readonly title: string;
  readonly shown: boolean;
  /** Where in the run it happened (from the recorded data, not a canned text). */
  readonly evidence: string;
}

interface Found {
  readonly turn: TurnReport;
  readonly attempt: AttemptRecord;
}

function findAttempt(rounds: readonly RoundReport[], test: (a: AttemptRecord) => boolean): Found | undefined {
  for (const round of rounds) {
    for (const turn of round.turns) {
      const attempt = turn.attempts.find(test);
      if (attempt) return { turn, attempt };
    }
  }
  return undefined;
}

const at = (f: Found) => `${f.turn.agent} turn ${f.turn.turn}, attempt ${f.attempt.attempt}`;

/**
 * Checks the run against what the demo promises, from what was actually recorded: the turns' attempt chains, the
 * tool outcomes, the agent events, the breaker transitions and the cost table.
 */
export function highlightsOf(
  rounds: readonly RoundReport[],
  transitions: readonly BreakerTransition[],
  costs: CostSummary,
): Highlight[] {
  const rateLimit = findAttempt(rounds, (a) => a.errorType === 'rate_limit');
  const backoff = rateLimit?.attempt.steps.find((s) => s.step === 'retry_with_backoff');
  const timeout = findAttempt(rounds, (a) => a.scenario === 'llm_timeout');
  const tools = rounds.flatMap((r) => r.tools);
  const denied = tools.find((t) => t.outcome === 'denied');
  const blocked = tools.find((t) => t.outcome === 'blocked');
  const opened = transitions.find((t) => t.to === 'open');
  const recovered =
    opened &&
    transitions.find((t) => t.breaker === opened.breaker && t.from === 'half_open' && t.to === 'closed');
  const handoffs = rounds.flatMap((r) => r.handoffs);
  const budget = rounds.flatMap((r) => r.events).find((e) => e.event === 'agent.budget.exceeded');
  const chain = rounds
    .flatMap((r) => r.turns)
    .find(
      (t) =>
        t.attempts.length >= 3 &&
        t.attempts.some((a) => a.steps.some((s) => s.step === 'switch_provider' && s.status === 'done')) &&
        t.attempts.some((a) => a.steps.some((s) => s.step === 'retry_with_backoff' && s.status === 'done')),
    );
  const budgetData = budget?.data as { budget_usd?: number; current_cost_usd?: number } | undefined;
  return [
    {
      name: HighlightName.RATE_LIMIT,
      title: 'a rate limit (429 with Retry-After), classified and recorded',
      shown: rateLimit !== undefined && backoff?.detail?.includes('Retry-After') === true,
      evidence: rateLimit
        ? `${at(rateLimit)}: ${rateLimit.attempt.errorType}, ${backoff?.detail ?? 'no backoff'}`
        : '',
    },
    {
      name: HighlightName.TIMEOUT,
      title: 'a timeout',
      shown: timeout !== undefined,
      evidence: timeout ? `${at(timeout)}: ${timeout.attempt.message}` : '',
    },
    {
      name: HighlightName.PERMISSION_DENIED,
      title: 'a permission denial',
      shown: denied !== undefined,
      evidence: denied ? `${denied.agent} → ${denied.tool}` : '',
    },
    {
      name: HighlightName.GUARDRAIL_BLOCKED,
      title: 'a guardrail block',
      shown: blocked !== undefined,
      evidence: blocked ? `${blocked.agent} → ${blocked.tool}` : '',
    },
    {
      name: HighlightName.BREAKER_OPENED,
      title: 'a circuit breaker opening',
      shown: opened !== undefined,
      evidence: opened ? `${opened.breaker}: ${opened.from} → ${opened.to}` : '',
    },
    {
      name: HighlightName.BREAKER_RECOVERED,
      title: 'the breaker recovering (half-open probe closes it)',
      shown: recovered !== undefined,
      evidence: recovered ? `${recovered.breaker}: ${recovered.from} → ${recovered.to}` : '',
    },
    {
      name: HighlightName.HANDOFF,
      title: 'handoffs between agents (linked spans)',
      shown: handoffs.length > 0,
      evidence: [...new Set(handoffs)].join(', '),
    },
    {
      name: HighlightName.BUDGET_WARNING,
      title: 'a budget warning',
      shown: budget !== undefined,
      evidence: budget
        ? `${budget.role}: ${usd(budgetData?.current_cost_usd ?? 0)} of ${usd(budgetData?.budget_usd ?? 0)}`
        : '',
    },
    {
      name: HighlightName.RECOVERY_CHAIN,
      title: 'a recovery chain with retries and a provider switch',
      shown: chain !== undefined,
      evidence: chain
        ? `${chain.agent} turn ${chain.turn}: ${chain.attempts.map((a) => `${a.provider} ${a.outcome === 'succeeded' ? '✓' : (a.errorType ?? '✗')}`).join(' → ')}`
        : '',
    },
    {
      name: HighlightName.COST_TABLE,
      title: 'a cost table priced from the bundled price dataset',
      shown: costs.rows.length > 0 && costs.total.costUsd > 0,
      evidence: `${costs.rows.length} rows, total ${usd(costs.total.costUsd)}`,
    },
  ];
}
