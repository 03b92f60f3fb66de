import { context } from '@opentelemetry/api';
import type { Handoff } from '../governance/handoff.js';
import { observeBreakerTelemetry } from '../telemetry/breaker-telemetry.js';
import { Session } from './session.js';
import {
  type AgentSessionOptions,
  type ResolvedSessionConfig,
  resolveSessionConfig,
} from './session-config.js';

/** Options of one run ({@link AgentSession.run} / {@link AgentSession.open}). */
export interface RunOptions {
  /** Cancels this run (in addition to the agent's signal). Cancellation ends the worker as cancelled, not failed. */
  signal?: AbortSignal;
  /**
   * Continue a handoff: the run adopts the worker the source registered (when it is in this agent's registry)
   * and its span links to the source agent's span.
   */
  handoff?: Handoff;
}

/**
 * An agent: its role and phase and the long-lived parts every run shares (registry, permissions, breaker,
 * policy, gate, budget, guardrails, sinks, pricing, telemetry providers). Each {@link AgentSession.run} is one
 * {@link Session}: a worker walking idle → initializing → running → completed | failed | cancelled, traced as an
 * `invoke_agent {role}` span.
 *
 * @example
 * ```ts
 * const agent = new AgentSession({ role: 'researcher', phase: 'research', budgetUsd: 1, model: 'gpt-4o', provider: 'openai' });
 * const answer = await agent.run(async (session) => {
 *   const { result } = await session.runTurn((signal) => callModel(signal), { estimateUsage: usageOf });
 *   return result;
 * });
 * ```
 */
export class AgentSession {
  readonly #config: ResolvedSessionConfig;

  /** @throws {ValidationError} naming the first bad option. */
  constructor(options: AgentSessionOptions) {
    this.#config = resolveSessionConfig(options);
    const { breakers, telemetry } = this.#config;
    for (const breaker of breakers.all()) observeBreakerTelemetry(breaker, telemetry.meterProvider);
    breakers.onBreaker((breaker) => observeBreakerTelemetry(breaker, telemetry.meterProvider));
  }

  /** The agent's role. */
  get role(): string {
    return this.#config.role;
  }

  /** The agent's phase. */
  get phase(): string {
    return this.#config.phase;
  }

  /** The worker registry runs are registered in. */
  get registry() {
    return this.#config.registry;
  }

  /**
   * Runs `body` as one session. A normal return completes the worker; a thrown error fails it with the error
   * classified into a failure class and rethrows it; an abort cancels it (not an error). A worker the body
   * already ended (handoff, complete, fail, cancel) is left as it is. The body runs with the session's span
   * active, so spans it starts nest under the agent.
   */
  async run<T>(body: (session: Session) => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
    const session = this.open(options);
    let result: T;
    try {
      result = await context.with(session.otelContext, () => body(session));
    } catch (err) {
      session.failFromError(err);
      throw err;
    }
    if (!session.ended) session.complete();
    return result;
  }

  /**
   * Starts a session without a body: end it yourself with `complete()`, `fail()` or `cancel()`, or let
   * `await using` complete it.
   *
   * @example
   * ```ts
   * await using session = agent.open();
   * await session.runTurn(callModel, { model: 'gpt-4o' });
   * ```
   */
  open(options: RunOptions = {}): Session {
    return new Session({ config: this.#config, signal: options.signal, handoff: options.handoff });
  }
}

/** The reference's name for {@link AgentSession}. */
export const Orchestrator = AgentSession;
/** The reference's name for {@link AgentSession}. */
export type Orchestrator = AgentSession;
