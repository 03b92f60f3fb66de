import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The reference implementation's vectors, copied from `../shared/vectors` (see vectors-sync.test.ts). */
export const VECTOR_DIR = fileURLToPath(new URL('../fixtures/vectors/', import.meta.url));

/** Names of the vector files. */
export const VECTOR_NAMES = [
  'backoff',
  'circuit_breaker',
  'classification',
  'events',
  'lifecycle',
  'permissions',
  'policy',
  'pricing',
  'recovery',
] as const;

export type VectorName = (typeof VECTOR_NAMES)[number];

/** Loads one vector file, parsed. Typed loosely on purpose: tests narrow what they read. */
// biome-ignore lint/suspicious/noExplicitAny: vector files are self-describing JSON read by tests
export function loadVector(name: VectorName): any {
  return JSON.parse(readFileSync(`${VECTOR_DIR}${name}.json`, 'utf8'));
}
