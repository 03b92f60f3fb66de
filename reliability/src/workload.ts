// The turn every reliability case runs: a simulated OpenAI chat completion (no network: the mock is the provider,
// the edge we do not own), priced from a user price table, through a real AgentSession.
import { AgentSession, type AgentSessionOptions, type Session } from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';

export const MODEL = 'gpt-4o-2024-08-06';
export const PROVIDER = 'openai';

/** A price table whose per-turn cost is a whole number of micro-dollars (so exactness is checkable). */
export function priceTable(): PriceTable {
  return new PriceTable().register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
}

/** SIMULATED provider response in OpenAI's shape. */
export interface Completion {
  id: string;
  /** What response detection keys on (`usage: 'auto'` reads nothing from an object without it). */
  object: 'chat.completion';
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** A completion with the given token counts. */
export function completion(input = 1200, output = 350): Completion {
  return {
    id: 'chatcmpl-sim',
    object: 'chat.completion',
    model: MODEL,
    usage: { prompt_tokens: input, completion_tokens: output },
  };
}

const FIXED = Object.freeze(completion());

/** The work function: resolves on the microtask queue (the figures are the runtime's, not a provider's). */
export async function callModel(signal: AbortSignal): Promise<Completion> {
  if (signal.aborted) throw signal.reason;
  return FIXED;
}

/** Cost of one {@link callModel} turn in µUSD: 1200 × 2.5 + 350 × 10 = 6500 µUSD. */
export const TURN_COST_MICROS = 6500;

/** An agent on the given providers whose sessions may run any number of turns. */
export function newAgent(options: Partial<AgentSessionOptions> = {}): AgentSession {
  return new AgentSession({
    role: 'reliability',
    phase: 'reliability',
    model: MODEL,
    provider: PROVIDER,
    pricing: priceTable(),
    maxIterations: Number.MAX_SAFE_INTEGER,
    ...options,
  });
}

/** One turn, usage read from the response. */
export function turn(session: Session): Promise<unknown> {
  return session.runTurn(callModel, { usage: 'auto' });
}

/** The process's memory in MiB, without forcing a collection. */
export function memoryMiB(): { heap: number; rss: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20 };
}

/** Median of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
