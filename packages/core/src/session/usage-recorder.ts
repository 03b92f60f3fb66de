import type { UsageFacts } from '../adapters/response-facts.js';
import { catchAsyncFailure } from '../common/async-failure.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentEventName, AgentEventStatus } from '../lifecycle/event-names.js';
import * as sc from '../telemetry/semconv.js';
import type { SessionTelemetry } from '../telemetry/session-telemetry.js';
import type { TurnTelemetry } from '../telemetry/turn-telemetry.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import { BudgetExceededError, type UsageTracker } from '../usage/usage-tracker.js';
import type { ResolvedSessionConfig } from './session-config.js';
import type { SessionEmitter } from './session-emitter.js';
import { reportSinkError } from './sink-errors.js';

/** Model key used to cost a turn that named no model. */
export const UNSPECIFIED_MODEL = 'unspecified';

const NO_PRICE_QUERY = Object.freeze({});

const reportUsageSinkError = (err: unknown) => reportSinkError('usage', err);

/**
 * @internal A session's usage and budget bookkeeping: prices each call's usage into the tracker, records it on
 * the call's span and metrics, feeds the usage sink (isolated), and announces an exceeded budget once.
 */
export class UsageRecorder {
  readonly #cfg: ResolvedSessionConfig;
  readonly #tracker: UsageTracker;
  readonly #telemetry: SessionTelemetry;
  readonly #emitter: SessionEmitter;
  #budgetAnnounced = false;

  constructor(
    cfg: ResolvedSessionConfig,
    tracker: UsageTracker,
    telemetry: SessionTelemetry,
    emitter: SessionEmitter,
  ) {
    this.#cfg = cfg;
    this.#tracker = tracker;
    this.#telemetry = telemetry;
    this.#emitter = emitter;
  }

  /** Prices and records one call's usage (tracker, span and metrics, sink); returns its cost and price source. */
  record(
    model: string | undefined,
    provider: string | undefined,
    usage: UsageSnapshot,
    turn: TurnTelemetry,
    responseModel?: string,
    facts?: UsageFacts,
  ): { costUsd: number; source: string } {
    const key = model ?? UNSPECIFIED_MODEL;
    // Anthropic reports its 1-hour cache writes apart: they cost more than 5-minute ones. The split only
    // describes the usage it came with (a count reported from inside the call replaces it).
    const oneHour = facts?.usage === usage ? facts.cacheWrite?.ephemeral1hTokens : undefined;
    const { total: costUsd, source } = this.#tracker.recordTurnDetailed(
      key,
      oneHour ? { ...usage, cacheWrite1hTokens: oneHour } : usage,
      provider !== undefined ? { provider } : NO_PRICE_QUERY,
    );
    turn.recordUsage(usage, costUsd, source, responseModel);
    const sink = this.#cfg.usageSink;
    if (sink) {
      try {
        catchAsyncFailure(sink.record(key, usage, costUsd), reportUsageSinkError);
      } catch (err) {
        reportSinkError('usage', err);
      }
    }
    return { costUsd, source };
  }

  /** @throws {BudgetExceededError} the budget is enforced and the session is over it. */
  assertWithinBudget(): void {
    const cfg = this.#cfg;
    if (cfg.enforceBudget && cfg.budgetUsd !== undefined && this.#tracker.isOverBudget(cfg.budgetUsd)) {
      throw new BudgetExceededError({ budgetUsd: cfg.budgetUsd, currentCostUsd: this.#tracker.totalCost() });
    }
  }

  /** Budget bookkeeping after a turn; returns whether the session is over budget. */
  checkBudget(turn: TurnTelemetry): boolean {
    const budget = this.#cfg.budgetUsd;
    if (budget === undefined || !this.#tracker.isOverBudget(budget)) return false;
    const spent = this.#tracker.totalCost();
    const attrs = {
      [sc.ATTR_AGENTRACE_BUDGET_USD]: budget,
      [sc.ATTR_AGENTRACE_BUDGET_SPENT_USD]: spent,
      [sc.ATTR_AGENTRACE_BUDGET_ENFORCED]: this.#cfg.enforceBudget,
    };
    turn.setAttributes(attrs);
    this.#telemetry.count((i) => i.budgetExceeded, 1, this.#telemetry.baseMetricAttributes());
    if (!this.#budgetAnnounced) {
      this.#budgetAnnounced = true;
      this.#emitter.emit(
        new AgentEvent({
          event: AgentEventName.BUDGET_EXCEEDED,
          status: this.#cfg.enforceBudget ? AgentEventStatus.BLOCKED : AgentEventStatus.RUNNING,
          role: this.#cfg.role,
          phase: this.#cfg.phase,
          detail: `cost $${spent.toFixed(6)} exceeds budget $${budget}`,
          data: { budget_usd: budget, current_cost_usd: spent, enforced: this.#cfg.enforceBudget },
        }),
        false,
      );
      this.#telemetry.addEvent(AgentEventName.BUDGET_EXCEEDED, attrs, turn.span);
      this.#telemetry.addEvent(AgentEventName.BUDGET_EXCEEDED, attrs, this.#telemetry.span);
    }
    return true;
  }
}
