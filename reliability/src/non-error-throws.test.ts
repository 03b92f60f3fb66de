// User code may throw anything: the turn must still fail with the thrown value, and the span must be recorded as
// an error with an error.type, whatever was thrown (a string, undefined, a plain object, a cyclic object).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from '../../test/helpers/otel.js';
import { newAgent } from './workload.js';

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(() => otel.shutdown());

const cyclic: Record<string, unknown> = { message: 'loop' };
cyclic.self = cyclic;
const thrown: [string, unknown][] = [
  ['a string', 'boom'],
  ['undefined', undefined],
  ['a plain object', { code: 42 }],
  ['a cyclic object', cyclic],
];

describe('non-Error throws from user code', () => {
  it.each(thrown)('runTurn: %s is rethrown as is and the span records an error.type', async (_, value) => {
    const agent = newAgent({ tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider });
    let caught: unknown = 'nothing';
    await agent
      .run((s) =>
        s.runTurn(() => {
          throw value;
        }),
      )
      .catch((e: unknown) => {
        caught = e;
      });
    expect(caught).toBe(value);
    const spans = otel.spans();
    const failed = spans.filter((sp) => sp.status.code === 2);
    expect(failed.length).toBeGreaterThan(0);
    for (const sp of failed) expect(typeof sp.attributes['error.type']).toBe('string');
  });
});
