// The contract every fuzzed entry point is held to: each outcome is a success or a typed agentrace error (a
// ValidationError naming its field, or another branded AgentraceError), reached without a hang.
import { AgentraceError, type AgentSession, ValidationError } from '@agentrace/core';
import fc from 'fast-check';

/** Whether `err` is an outcome the contract allows: a branded agentrace error, a ValidationError with its field. */
export function isTypedOutcome(err: unknown): boolean {
  // ValidationError is a RangeError (as the platform's own range checks are), the rest are AgentraceErrors.
  if (ValidationError.isInstance(err)) {
    const field = (err as { field?: unknown }).field;
    return typeof field === 'string' && field.length > 0;
  }
  return AgentraceError.isInstance(err);
}

export function expectTyped(where: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isTypedOutcome(err)) throw new Error(`${where}: untyped outcome ${describe(err)}`, { cause: err });
  }
}

export async function expectTypedAsync(where: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await withDeadline(fn(), 2000, where);
  } catch (err) {
    if (!isTypedOutcome(err)) throw new Error(`${where}: untyped outcome ${describe(err)}`, { cause: err });
  }
}

export async function withDeadline<T>(p: Promise<T>, ms: number, where: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${where}: no outcome within ${ms} ms (a hang)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return `non-Error ${typeof err} ${String(err)}`;
  } catch {
    return `non-Error ${typeof err}`;
  }
}

/** Values of every kind, weighted towards the ones that break validators (objects, huge numbers, NaN). */
export const wild = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 2 ** 40, 0),
  fc.string(),
  fc.constant(undefined),
);
export const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** The session's totals stay finite, non-negative and exact in micro-dollars. */
export function assertSessionSound(session: ReturnType<AgentSession['open']>, before: number): void {
  const total = session.tracker.totalCost();
  if (!Number.isFinite(total) || total < before)
    throw new Error(`the session total went from ${before} to ${total}`);
  const micros = Math.round(total * 1e6);
  if (!Number.isSafeInteger(micros)) throw new Error(`the session total ${total} is not exact in µUSD`);
  for (const n of [session.tracker.totalInputTokens, session.tracker.totalOutputTokens]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a token total became ${n}`);
  }
}
