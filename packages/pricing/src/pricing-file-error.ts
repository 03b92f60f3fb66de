import { AgentraceError } from './agentrace-error.js';

/**
 * A price file (or object) that could not be loaded: unreadable, not JSON, or not in the schema
 * `{"models": {name: {input_per_million, output_per_million, cache_write_per_million?, cache_read_per_million?}}}`.
 * Nothing from a bad file is registered.
 *
 * @example
 * ```ts
 * try {
 *   loadPricingFromFile('./prices.json');
 * } catch (err) {
 *   if (PricingFileError.isInstance(err)) console.error(err.file, err.key, err.reason);
 *   // ./prices.json models.gpt-x.output_per_million must be a non-negative finite number, got -1
 * }
 * ```
 */
export class PricingFileError extends AgentraceError {
  static override readonly errorName: string = 'PricingFileError';

  /** The file path, or the `source` name given to `loadObject` (`'<object>'` when none was). */
  readonly file: string;
  /** Dotted path of the offending key (`models.gpt-x.output_per_million`); undefined when the whole file is bad. */
  readonly key: string | undefined;
  /** What was wrong, in words. */
  readonly reason: string;

  constructor(init: { file: string; key?: string; reason: string }, options?: ErrorOptions) {
    super(
      init.key === undefined
        ? `bad pricing file ${init.file}: ${init.reason}`
        : `bad pricing file ${init.file}: ${init.key} ${init.reason}`,
      options,
    );
    this.file = init.file;
    this.key = init.key;
    this.reason = init.reason;
  }
}
