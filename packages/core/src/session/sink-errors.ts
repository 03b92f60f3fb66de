import { diag } from '@opentelemetry/api';

// A user's sink or a result we cannot read must never break a session: both are reported through `diag` and
// the session carries on.

/** @internal Reports a throwing usage or event sink through `diag`; the session carries on. */
export function reportSinkError(kind: string, err: unknown): void {
  // Lazy import keeps diag out of the hot path type imports; sinks must never break a session.
  import('@opentelemetry/api').then(
    ({ diag }) => diag.warn(`agentrace: the ${kind} sink threw; the session carries on`, err),
    () => undefined,
  );
}

const warned = new Set<string>();

/** @internal Warns through `diag` once per distinct key (bounded, so a stream of unique messages cannot grow it). */
export function warnOnce(key: string, err: unknown): void {
  if (warned.has(key) || warned.size >= 100) return;
  warned.add(key);
  diag.warn(`agentrace: ${err instanceof Error ? err.message : String(err)}`);
}
