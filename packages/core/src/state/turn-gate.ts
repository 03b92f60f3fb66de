import { type Attributes, diag } from '@opentelemetry/api';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';

/** What a {@link TurnGate} is told about the model call it is asked to admit. */
export interface TurnGateContext {
  /** The agent's role. */
  readonly role: string;
  /** The provider to be called (`gen_ai.provider.name`), when known. */
  readonly provider?: string;
  /** The model to be called, when known. */
  readonly model?: string;
  /** 1-based turn number within the session. */
  readonly turnNumber: number;
  /** 1-based attempt within the turn (recovery retries are new attempts). */
  readonly attempt: number;
  /** The usage the caller expects (`runTurn`'s `expectedUsage`), for reservations. */
  readonly expectedUsage?: UsageSnapshot;
  /** `expectedUsage` priced with the session's price table, in USD. */
  readonly expectedCostUsd?: number;
  /** Aborts when the turn is cancelled or times out: a gate that waits must stop waiting. */
  readonly signal: AbortSignal;
  /** Adds an event to the call's span (a wait, a reservation), so gates are visible in traces. */
  addEvent(name: string, attributes: Attributes): void;
}

/** How a call admitted by a gate ended; handed to {@link TurnGateTicket.settle}. */
export interface TurnGateOutcome {
  /** Whether the call succeeded. */
  readonly ok: boolean;
  /** The usage recorded for the call (a failed call may have reported some). */
  readonly usage: UsageSnapshot | undefined;
  /** Its cost in USD (0 when nothing was recorded). */
  readonly costUsd: number;
}

/** A gate's hold on an admitted call, released once when the call ends. */
export interface TurnGateTicket {
  settle(outcome: TurnGateOutcome): void | Promise<void>;
}

/**
 * Something every model call must pass before it runs: a shared budget reserving the expected cost, a rate
 * limiter, a concurrency limit. `enter` may wait (honouring `ctx.signal`) or throw a typed error to refuse the
 * call; a refusal fails the turn without a recovery attempt (the provider was never called). What it returns is
 * settled with the call's outcome.
 */
export interface TurnGate {
  /** Name for diagnostics. */
  readonly name: string;
  enter(ctx: TurnGateContext): TurnGateTicket | undefined | Promise<TurnGateTicket | undefined>;
}

/**
 * Enters every gate in order. If one refuses, the tickets already taken are settled as not-run and the refusal is
 * rethrown.
 */
export async function enterGates(
  gates: readonly TurnGate[],
  ctx: TurnGateContext,
): Promise<TurnGateTicket[]> {
  const tickets: TurnGateTicket[] = [];
  for (const gate of gates) {
    try {
      const ticket = await gate.enter(ctx);
      if (ticket) tickets.push(ticket);
    } catch (err) {
      await settleGates(tickets, { ok: false, usage: undefined, costUsd: 0 });
      throw err;
    }
  }
  return tickets;
}

/**
 * Settles tickets with the call's outcome, last entered first. A ticket that throws is reported through `diag`
 * and never breaks the turn (what the call cost is already recorded locally).
 */
export async function settleGates(
  tickets: readonly TurnGateTicket[],
  outcome: TurnGateOutcome,
): Promise<void> {
  for (let i = tickets.length - 1; i >= 0; i--) {
    try {
      await tickets[i]?.settle(outcome);
    } catch (err) {
      diag.warn('agentrace: a turn gate failed to settle; the turn is unaffected', err);
    }
  }
}
