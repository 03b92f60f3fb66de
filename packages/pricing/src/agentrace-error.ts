const BRAND = Symbol.for('agentrace.error');

interface NamedErrorClass {
  readonly errorName: string;
}

/**
 * Marks `error` with the stable names of its class chain, so `isInstance` works across duplicate
 * package copies (a second install, an ESM/CJS pair) where `instanceof` fails.
 */
function brand(error: Error, ctor: unknown): string {
  const names: string[] = [];
  for (
    let c = ctor as NamedErrorClass | null;
    c && typeof c.errorName === 'string';
    c = Object.getPrototypeOf(c)
  ) {
    if (!names.includes(c.errorName)) names.push(c.errorName);
  }
  Object.defineProperty(error, BRAND, { value: names, enumerable: false });
  const name = names[0] ?? 'Error';
  Object.defineProperty(error, 'name', {
    value: name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return name;
}

function hasBrand(value: unknown, errorName: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const names = (value as { [BRAND]?: unknown })[BRAND];
  return Array.isArray(names) && names.includes(errorName);
}

/**
 * Base class of every error agentrace throws (except input validation, see {@link ValidationError}).
 *
 * It lives in the lowest package (`@agentrace/pricing`) so every agentrace package shares one base;
 * `@agentrace/core` re-exports it. Each subclass has a stable `name` (its class name, kept in the static
 * `errorName` so minifiers cannot change it) and carries the facts as fields. `isInstance` checks a
 * `Symbol.for` brand rather than the prototype chain, so it also recognises errors thrown by another copy
 * of the package.
 *
 * @example
 * ```ts
 * try {
 *   await breaker.execute(callModel);
 * } catch (err) {
 *   if (CircuitOpenError.isInstance(err)) console.warn(`circuit ${err.breakerName} is open`);
 * }
 * ```
 */
export class AgentraceError extends Error {
  /** Stable name of this error class. Subclasses override it with their own class name. */
  static readonly errorName: string = 'AgentraceError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, new.target);
  }

  /** Whether `value` is an instance of this class or a subclass, also across duplicate package copies. */
  static isInstance<T extends abstract new (...args: never[]) => unknown>(
    this: T & NamedErrorClass,
    value: unknown,
  ): value is InstanceType<T> {
    return hasBrand(value, this.errorName);
  }
}

/**
 * Thrown for a bad input value: a negative, fractional or non-numeric token count, a negative price,
 * an option out of range. A `RangeError`, so generic handlers keep working; `field` names what was wrong.
 *
 * @example
 * ```ts
 * new UsageSnapshot({ inputTokens: -1 });
 * // ValidationError: inputTokens must be a non-negative safe integer, got -1
 * ```
 */
export class ValidationError extends RangeError {
  static readonly errorName: string = 'ValidationError';

  /** The field (option, property or key path) that was wrong. */
  readonly field: string;
  /** The value that was given. */
  readonly value: unknown;
  /** What was expected, in words. */
  readonly expected: string;

  constructor(init: { field: string; value: unknown; expected: string; message?: string }) {
    super(init.message ?? `${init.field} must be ${init.expected}, got ${describe(init.value)}`);
    this.field = init.field;
    this.value = init.value;
    this.expected = init.expected;
    brand(this, new.target);
  }

  /** Whether `value` is a {@link ValidationError}, also across duplicate package copies. */
  static isInstance(value: unknown): value is ValidationError {
    return hasBrand(value, ValidationError.errorName);
  }
}

/** Short, safe rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}
