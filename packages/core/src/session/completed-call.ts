import type { AttemptRecord } from '../recovery/recovery-policy.js';
import type { TurnGateTicket } from '../state/turn-gate.js';
import type { TurnTelemetry } from '../telemetry/turn-telemetry.js';
import type { UsageSnapshot } from '../usage/usage-snapshot.js';
import type { CallScope } from './run-with-timeout.js';

/** @internal A call that produced a result, on its way to being recorded (by the session or a stream). */
export interface CompletedCall<T> {
  readonly result: T;
  /** The span usage is recorded on: the turn's, or under recovery the successful attempt's. */
  readonly span: TurnTelemetry;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  /**
   * Usage reported from inside the work, read when the call is recorded (a function, not a value: a streamed
   * result may report while it is consumed, after the work returned).
   */
  readonly reported: () => UsageSnapshot | undefined;
  readonly tickets: readonly TurnGateTicket[];
  readonly scope: CallScope;
  readonly attempts: readonly AttemptRecord[];
  readonly priorUsage: UsageSnapshot;
  readonly priorCostUsd: number;
  readonly recovering: boolean;
}
