import { describe, expect, it } from 'vitest';
import { errorMessageOf, errorTypeOf, maskSecrets, REDACTED, sanitize, truncate } from './redact.js';

describe('maskSecrets', () => {
  it.each([
    ['Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrStUvWx', 'sk-proj-'],
    ['invalid x-api-key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx', 'sk-ant-'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop', 'eyJhbGci'],
    ['key=AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSy'],
    ['aws AKIAIOSFODNN7EXAMPLE denied', 'AKIAIOSFODNN7EXAMPLE'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_'],
    ['{"api_key": "hunter2-secret"}', 'hunter2'],
    ['https://x.test/v1?key=abcd1234&x=1', 'abcd1234'],
    ['password=swordfish', 'swordfish'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
      'SflKxw',
    ],
  ])('masks %s', (text, secret) => {
    const out = maskSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('leaves ordinary text alone', () => {
    const text = 'Rate limit reached for requests; retry in 20s (skip this)';
    expect(maskSecrets(text)).toBe(text);
  });
});

describe('truncate and sanitize', () => {
  it('cuts to the limit with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('abc', 1)).toBe('a');
    expect(truncate('abc', 0)).toBe('');
  });

  it('masks before cutting so no half key remains', () => {
    const out = sanitize(`${'x'.repeat(10)} sk-proj-AbCdEfGhIjKlMnOpQrStUvWx`, 25);
    expect(out).not.toContain('sk-proj');
    expect(out.length).toBeLessThanOrEqual(25);
  });
});

describe('errorMessageOf / errorTypeOf', () => {
  it('reads errors, strings and objects safely', () => {
    expect(errorMessageOf(new Error('boom sk-proj-AbCdEfGhIjKlMnOpQrStUvWx'))).toBe(`boom ${REDACTED}`);
    expect(errorMessageOf('plain')).toBe('plain');
    expect(errorMessageOf({ code: 1 })).toBe('{"code":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorMessageOf(cyclic)).toBe('[object Object]');
    expect(errorMessageOf(undefined)).toBe('undefined');
  });

  it('gives a low-cardinality type', () => {
    expect(errorTypeOf(new TypeError('x'))).toBe('TypeError');
    expect(errorTypeOf({ name: 'APIError' })).toBe('APIError');
    expect(errorTypeOf(42)).toBe('_OTHER');
    expect(errorTypeOf({ name: 'x'.repeat(100) })).toBe('_OTHER');
  });
});
