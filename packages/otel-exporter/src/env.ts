/** The environment `setupTelemetry` reads: `process.env` by default, injectable for tests and embedding. */
export type TelemetryEnv = Readonly<Record<string, string | undefined>>;

/**
 * Collects problems with environment values. The OpenTelemetry configuration spec says a bad environment value is
 * reported and replaced by its default, never thrown: an app must not fail to start because of a typo in
 * `OTEL_*`. Explicit options, by contrast, throw a `ValidationError`.
 */
export class EnvReader {
  readonly #env: TelemetryEnv;
  readonly warnings: string[] = [];

  constructor(env: TelemetryEnv) {
    this.#env = env;
  }

  /** The trimmed value, or undefined when unset or blank (the spec treats empty as unset). */
  string(name: string): string | undefined {
    const raw = this.#env[name];
    if (raw === undefined) return undefined;
    const trimmed = raw.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** A lower-cased comma-separated list, blanks removed. */
  list(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
  }

  /** `true`/`false` (case-insensitive); anything else is reported and ignored. */
  boolean(name: string): boolean | undefined {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.warn(`${name}=${JSON.stringify(raw)} is not true or false; ignored`);
    return undefined;
  }

  /** A number that `accept` approves; anything else is reported and ignored. */
  number(name: string, accept: (n: number) => boolean, expected: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (Number.isFinite(n) && accept(n)) return n;
    this.warn(`${name}=${JSON.stringify(raw)} is not ${expected}; ignored`);
    return undefined;
  }

  /** `key=value,key2=value2` pairs (W3C-baggage style, values percent-decoded), as headers and resource attributes use. */
  pairs(name: string): Record<string, string> {
    const raw = this.string(name);
    const out: Record<string, string> = {};
    if (raw === undefined) return out;
    for (const entry of raw.split(',')) {
      const eq = entry.indexOf('=');
      const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
      if (eq < 0 || key === '') {
        if (entry.trim() !== '')
          this.warn(`${name}: ${JSON.stringify(entry.trim())} is not key=value; ignored`);
        continue;
      }
      out[key] = decode(entry.slice(eq + 1).trim());
    }
    return out;
  }

  /** Records a problem once (a variable read for both signals is reported once). */
  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
