import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VECTOR_DIR, VECTOR_NAMES } from './helpers/vectors.js';

const SHARED = fileURLToPath(new URL('../../shared/vectors/', import.meta.url));

describe('reference vectors', () => {
  it('the copy under test/fixtures holds every vector file', () => {
    const files = readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(VECTOR_NAMES.map((n) => `${n}.json`).sort());
  });

  it.runIf(existsSync(SHARED))('the copy is identical to ../shared/vectors', () => {
    const shared = readdirSync(SHARED).filter((f) => f.endsWith('.json'));
    expect(shared.sort()).toEqual(VECTOR_NAMES.map((n) => `${n}.json`).sort());
    for (const file of shared) {
      expect(readFileSync(`${VECTOR_DIR}${file}`, 'utf8'), file).toBe(
        readFileSync(`${SHARED}${file}`, 'utf8'),
      );
    }
  });
});
