/**
 * The string-literal union of an `as const` object's values. Every wire constant in agentrace is an
 * `as const` object plus a same-named type built with this, instead of a TS `enum`.
 *
 * @example
 * ```ts
 * export const CircuitState = { CLOSED: 'closed', OPEN: 'open', HALF_OPEN: 'half_open' } as const;
 * export type CircuitState = ValueOf<typeof CircuitState>;
 * ```
 */
export type ValueOf<T> = T[keyof T];

/** Whether `value` is one of the values of a wire-constant object. */
export function isOneOf<T extends Record<string, string | number>>(
  obj: T,
  value: unknown,
): value is ValueOf<T> {
  return (Object.values(obj) as unknown[]).includes(value);
}
