import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';

/** Options of a JSON-lines file sink. */
export interface JsonLinesOptions {
  /** The file to append to (created when missing). */
  readonly path: string | URL;
  /**
   * Most bytes left waiting for the disk before new records are dropped (and counted in `dropped`)
   * instead of buffered without limit. 4 MiB by default.
   */
  readonly maxBufferedBytes?: number;
}

const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Appends one JSON document per line to a file through a write stream: writes are asynchronous, memory is
 * bounded, and no failure (unwritable file, full disk, unserialisable value) reaches the caller. Failures are
 * reported through the OpenTelemetry `diag` logger; lost records are counted.
 */
export class JsonLinesWriter {
  /** The file written to. */
  readonly path: string;
  readonly #label: string;
  readonly #maxBufferedBytes: number;
  readonly #stream: WriteStream;
  #dropped = 0;
  #failed = false;
  #closed: Promise<void> | undefined;
  // Reported once per backlog episode (until a record is accepted again), not once per dropped record.
  #backlogReported = false;

  /**
   * @param label - names the sink in diagnostics.
   * @throws {ValidationError} when `path` is not a non-empty string or URL, or `maxBufferedBytes` is not a
   *   positive safe integer.
   */
  constructor(options: JsonLinesOptions, label: string) {
    const { path, maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES } = options ?? {};
    if (!(path instanceof URL) && (typeof path !== 'string' || path.length === 0)) {
      throw new ValidationError({
        field: 'path',
        value: path,
        expected: 'a file path (non-empty string or URL)',
      });
    }
    if (
      typeof maxBufferedBytes !== 'number' ||
      !Number.isSafeInteger(maxBufferedBytes) ||
      maxBufferedBytes < 1
    ) {
      throw new ValidationError({
        field: 'maxBufferedBytes',
        value: maxBufferedBytes,
        expected: 'a positive safe integer',
      });
    }
    this.path = path instanceof URL ? fileURLToPath(path) : path;
    this.#label = label;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#stream = createWriteStream(this.path, { flags: 'a', encoding: 'utf8' });
    this.#stream.on('error', (err) => {
      this.#failed = true;
      diag.error(
        `agentrace: ${this.#label} cannot write to ${this.path}; records are dropped from now on`,
        err,
      );
    });
  }

  /** Records lost: the stream failed or was closed, the backlog was full, or a value did not serialise. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Appends the JSON of the value `build` returns as one line, or counts a dropped record. `build` runs only
   * when the record will be written, and may throw (counted as dropped). Never throws.
   */
  write(build: () => unknown): void {
    if (this.#closed || this.#failed) {
      this.#dropped++;
      return;
    }
    if (this.#stream.writableLength >= this.#maxBufferedBytes) {
      this.#dropped++;
      if (!this.#backlogReported) {
        this.#backlogReported = true;
        diag.warn(
          `agentrace: ${this.#label} is behind writing ${this.path}; dropping records until it catches up`,
        );
      }
      return;
    }
    let line: string;
    try {
      // JSON.stringify without indentation never emits a raw newline, so one record stays one line.
      line = `${JSON.stringify(build())}\n`;
    } catch (err) {
      this.#dropped++;
      diag.error(`agentrace: ${this.#label} could not serialise a record; dropped it`, err);
      return;
    }
    this.#backlogReported = false;
    this.#stream.write(line);
  }

  /**
   * Resolves once every line accepted so far has been handed to the file system (or the stream has failed
   * or closed). Never rejects.
   */
  flush(): Promise<void> {
    if (this.#closed || this.#failed) return this.#closed ?? Promise.resolve();
    return new Promise<void>((resolve) => {
      // An empty write completes after every earlier one: streams write in order.
      this.#stream.write('', () => resolve());
    });
  }

  /**
   * Flushes what is buffered and closes the file. Resolves (never rejects) once the file is closed; a write
   * error is reported through `diag`. Later records are dropped. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#stream.closed) {
        resolve();
        return;
      }
      this.#stream.once('close', () => resolve());
      // A stream destroyed by an error closes by itself; ending it would only raise another error.
      if (!this.#stream.destroyed) this.#stream.end();
    });
    return this.#closed;
  }
}
