import { type UsageCounts, UsageSnapshot } from './usage-snapshot.js';

/** Usage given directly, or derived from the turn's result. */
export type UsageInput = UsageSnapshot | Partial<UsageCounts>;

/** No tokens: what a turn records when it has no usage. */
export const EMPTY_USAGE = new UsageSnapshot();

/** A {@link UsageSnapshot} of `usage` (the same object when it is one; empty when undefined). */
export function toSnapshot(usage: UsageInput | undefined): UsageSnapshot {
  if (usage === undefined) return EMPTY_USAGE;
  return usage instanceof UsageSnapshot ? usage : new UsageSnapshot(usage);
}
