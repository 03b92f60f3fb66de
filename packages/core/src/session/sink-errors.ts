import { diag } from '@opentelemetry/api';

// A user's sink or a result we cannot read must never break a session: both are reported through `diag` and
// the session carries on.

/** @internal Reports a throwing usage or event sink through `diag`; the session carries on. */
export function reportSinkError(kind: string, err: unknown): void {
  // Synchronous: a dynamic import per report cost a promise and a module lookup for every event a failing sink
  // was given (with sinks throwing on every event, the SDK-faults case's user-sink row was its slowest).
  diag.warn(`agentrace: the ${kind} sink threw; the session carries on`, err);
}

const warned = new Set<string>();

/** @internal Warns through `diag` once per distinct key (bounded, so a stream of unique messages cannot grow it). */
export function warnOnce(key: string, err: unknown): void {
  if (warned.has(key) || warned.size >= 100) return;
  warned.add(key);
  diag.warn(`agentrace: ${err instanceof Error ? err.message : String(err)}`);
}
