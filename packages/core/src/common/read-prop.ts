/**
 * Reads one property without letting a throwing getter or a hostile Proxy escape: classification runs
 * inside error handling, where a second exception would hide the first.
 *
 * @internal shared by error classification, Retry-After parsing and the provider adapters.
 */
export function readProp(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
