import { maskSecrets } from './redact.js';

// Masking and the length cut of captured message content. The cut works on the value, not on its JSON text,
// so what is recorded always parses: texts are shortened first, then whole items are left out.

const MAX_DEPTH = 32;

/** Base64 of `bytes` (`btoa` is global in Node 16+, browsers and edge runtimes alike). @internal */
export function base64Of(bytes: Uint8Array): string {
  let binary = '';
  // In slices: spreading a large array into one call overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
const ELLIPSIS = '…';

/**
 * A JSON-safe copy of `value` with every string secret-masked: `undefined`, functions and symbols are left out,
 * non-finite numbers become `null`, bigints and dates strings, bytes base64, cycles `"[Circular]"`, and
 * anything nested deeper than 32 levels `"[…]"`. Object keys are kept as they are. @internal
 */
export function maskDeep(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'string':
      return maskSecrets(value);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '[…]';
  if (seen.has(value)) return '[Circular]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value)) {
    return base64Of(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof ArrayBuffer) return base64Of(new Uint8Array(value));
  if (value instanceof URL) return maskSecrets(value.href);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item) => {
        const out = maskDeep(item, depth + 1, seen);
        return out === undefined ? null : out;
      });
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      const masked = maskDeep(child, depth + 1, seen);
      if (masked !== undefined) out[key] = masked;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

// Fields of messages, parts and tool definitions that identify rather than carry content: never shortened
// (a cut `role` or `type` would break the shape a backend reads).
const STRUCTURAL_KEYS: ReadonlySet<string> = new Set([
  'role',
  'type',
  'id',
  'name',
  'finish_reason',
  'mime_type',
  'modality',
  'file_id',
]);

/** `text` cut to `cap` code units plus the ellipsis, never splitting a surrogate pair. */
function cutText(text: string, cap: number): string {
  if (text.length <= cap + ELLIPSIS.length) return text;
  let end = cap;
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/**
 * A copy with every content string longer than `cap` cut to it. `structural` is true at the level of
 * messages, parts and tool definitions (where identifying keys are kept) and false inside free-form values
 * (tool arguments, responses, generic part fields), where every string may be cut.
 */
function cutStrings(value: unknown, cap: number, structural: boolean): unknown {
  if (typeof value === 'string') return cutText(value, cap);
  if (Array.isArray(value)) return value.map((item) => cutStrings(item, cap, structural));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (structural && STRUCTURAL_KEYS.has(key) && typeof child === 'string') out[key] = child;
    else out[key] = cutStrings(child, cap, structural && key === 'parts');
  }
  return out;
}

/** The longest string anywhere in `value` (the upper bound of the cut search). */
function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 0;
  let max = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    const n = longestString(child);
    if (n > max) max = n;
  }
  return max;
}

/** The largest cut that fits, by bisection: the JSON of `items` with every string cut to it, or undefined. */
function bestCut(items: readonly unknown[], maxLength: number): string | undefined {
  let lo = 0;
  let hi = longestString(items);
  let best: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const json = JSON.stringify(cutStrings(items, mid, true));
    if (json.length <= maxLength) {
      best = json;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

// Items are dropped only once their texts, cut to this many code units, still do not fit together.
const DROP_FLOOR = 32;

/** The outcome of {@link fitJson}. @internal */
export interface FittedJson {
  /** The JSON to record, or `undefined` when not even one item fits. */
  readonly json: string | undefined;
  /** Whether anything was cut or left out. */
  readonly truncated: boolean;
}

/**
 * The JSON text of `items` in at most `maxLength` code units, always valid JSON: as it is when it fits;
 * else with the longest strings shortened (marked `…`) as little as needed; else, when even texts cut to a
 * few characters do not fit, with items left out from `dropFrom` (keeping the order of the rest) and the
 * texts of those kept shortened as little as needed. @internal
 */
export function fitJson(items: readonly unknown[], maxLength: number, dropFrom: 'start' | 'end'): FittedJson {
  const whole = JSON.stringify(items);
  if (whole.length <= maxLength) return { json: whole, truncated: false };
  const floorSizes = items.map((item) => JSON.stringify(cutStrings(item, DROP_FLOOR, true)).length);
  // `[` `]` and the commas between the kept items.
  let total = 2 + floorSizes.reduce((sum, n) => sum + n, 0) + Math.max(0, items.length - 1);
  let start = 0;
  let end = items.length;
  while (end > start && total > maxLength) {
    const i = dropFrom === 'start' ? start++ : --end;
    total -= (floorSizes[i] as number) + (end > start ? 1 : 0);
  }
  const kept = items.slice(start, end);
  if (kept.length === 0) {
    // Not even one item fits with its texts at the floor: try the last (or first) one cut to nothing.
    const one = dropFrom === 'start' ? items.slice(-1) : items.slice(0, 1);
    const json = JSON.stringify(cutStrings(one, 0, true));
    return { json: json.length <= maxLength ? json : undefined, truncated: true };
  }
  return { json: bestCut(kept, maxLength) ?? JSON.stringify(cutStrings(kept, 0, true)), truncated: true };
}
