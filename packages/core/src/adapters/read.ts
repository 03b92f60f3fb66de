import { ValidationError } from '@agentrace/pricing';
import { readProp } from '../common/read-prop.js';

/**
 * Guarded reads of provider payloads: results come from outside, so a throwing getter or a Proxy reads as
 * "absent" rather than escaping into the agent loop.
 *
 * @internal
 */
export const get = readProp;

/** Whether `value` is a non-null object (arrays included). @internal */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** A non-empty string, or `undefined`. @internal */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const COUNT = 'a non-negative safe integer';

/**
 * A token count: `undefined` when absent (`undefined` or `null`, which providers send for "not reported").
 *
 * @throws {ValidationError} naming `field` for anything else that is not a non-negative safe integer.
 * @internal
 */
export function count(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError({ field, value, expected: COUNT });
  }
  return value;
}

/**
 * `total - part` for a provider that counts cache tokens inside its input total.
 *
 * @throws {ValidationError} naming `partField` when the part is larger than the total it belongs to.
 * @internal
 */
export function minus(total: number, part: number, fields: { total: string; part: string }): number {
  if (part > total) {
    throw new ValidationError({
      field: fields.part,
      value: part,
      expected: `at most ${fields.total} (${total}), which includes it`,
    });
  }
  return total - part;
}

/**
 * The usage object at `holder[key]`.
 *
 * @throws {ValidationError} naming `field` when it is missing or not an object.
 * @internal
 */
export function usageObject(holder: unknown, key: string, field: string = key): object {
  const usage = get(holder, key);
  if (!isObject(usage) || Array.isArray(usage)) {
    throw new ValidationError({ field, value: usage, expected: 'an object of token counts' });
  }
  return usage;
}

/**
 * The non-empty strings among `values`, or `undefined` when there are none (finish reasons arrive as
 * `null` while a choice is still open, and a final usage chunk has no choices at all).
 *
 * @internal
 */
export function reasons(values: readonly unknown[]): string[] | undefined {
  const found = values.filter((value): value is string => typeof value === 'string' && value.length > 0);
  return found.length > 0 ? found : undefined;
}

/** `array[key]` for each item of an array, or `[]` when `value` is not an array. @internal */
export function pluck(value: unknown, key: string): unknown[] {
  return Array.isArray(value) ? value.map((item) => get(item, key)) : [];
}

/** Whether `obj` has `key` (own or inherited, even when its value is `undefined`); guarded like {@link get}. @internal */
export function hasKey(obj: unknown, key: string): boolean {
  if (!isObject(obj)) return false;
  try {
    return key in obj;
  } catch {
    return false;
  }
}

/** Whether `value` is a promise or other thenable. @internal */
export function isThenable(value: unknown): boolean {
  return typeof get(value, 'then') === 'function';
}

/**
 * Output tokens, with reasoning tokens added back for a count that leaves them out. OpenAI counts
 * reasoning inside its output (total = input + output); Gemini (`candidatesTokenCount`, and the AI SDK 5
 * usage built from it) and some OpenAI-compatible servers (xAI) report it beside (total = input + output +
 * reasoning). The total tells which; without one, reasoning is taken as included.
 *
 * @internal
 */
export function outputWithReasoning(
  output: number,
  reasoning: number | undefined,
  sums: { input: number; total: number | undefined },
): number {
  if (reasoning === undefined || reasoning === 0 || sums.total === undefined) return output;
  return sums.total >= sums.input + output + reasoning ? output + reasoning : output;
}
