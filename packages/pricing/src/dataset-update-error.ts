import { AgentraceError } from './agentrace-error.js';

/** Why a live dataset update did not apply. The prices in use stay as they were in every case. */
export const DatasetUpdateFailure = {
  /** No answer (or not the whole body) within `timeoutMs`. */
  TIMEOUT: 'timeout',
  /** The caller's `signal` aborted the update. */
  ABORTED: 'aborted',
  /** The request failed: offline, DNS, connection refused or reset. */
  NETWORK: 'network',
  /** The server answered with a status other than 2xx. */
  HTTP_STATUS: 'http_status',
  /** The body is not JSON, or not a price dataset agentrace can read. */
  BAD_PAYLOAD: 'bad_payload',
  /** The dataset package itself could not be loaded, so there is nothing to update. */
  UNAVAILABLE: 'unavailable',
} as const;

/** One of {@link DatasetUpdateFailure}'s values. */
export type DatasetUpdateFailure = (typeof DatasetUpdateFailure)[keyof typeof DatasetUpdateFailure];

/**
 * A live update of the price dataset that did not apply. It is returned (in the update's result), not
 * thrown, so a fire-and-forget `void datasetPriceSource.update()` can never become an unhandled rejection.
 *
 * @example
 * ```ts
 * const result = await datasetPriceSource.update({ timeoutMs: 5000 });
 * if (!result.updated) console.warn(result.error.reason, result.error.message);
 * ```
 */
export class DatasetUpdateError extends AgentraceError {
  static override readonly errorName: string = 'DatasetUpdateError';

  /** The URL the update was fetched from. */
  readonly url: string;
  /** Why it failed. */
  readonly reason: DatasetUpdateFailure;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** What went wrong, in words (for a bad payload: the path of the offending value). */
  readonly detail: string;

  constructor(
    init: { url: string; reason: DatasetUpdateFailure; detail: string; status?: number },
    options?: ErrorOptions,
  ) {
    super(`price dataset update from ${init.url} failed (${init.reason}): ${init.detail}`, options);
    this.url = init.url;
    this.reason = init.reason;
    this.status = init.status;
    this.detail = init.detail;
  }
}
