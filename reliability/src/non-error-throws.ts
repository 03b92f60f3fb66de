// User code may throw anything: the turn must still fail with the thrown value, and the span must be recorded as
// an error with an error.type, whatever was thrown (a string, undefined, a plain object, a cyclic object).
import { createTestTelemetry } from '../../test/helpers/otel.js';
import type { ReliabilityCase } from './case.js';
import { newAgent } from './workload.js';

const cyclic: Record<string, unknown> = { message: 'loop' };
cyclic.self = cyclic;

/** The non-Error values thrown, by name. */
export const NON_ERROR_THROWS: readonly (readonly [string, unknown])[] = [
  ['a string', 'boom'],
  ['undefined', undefined],
  ['a plain object', { code: 42 }],
  ['a cyclic object', cyclic],
  ['null', null],
  ['a number', 7],
];

/** What one thrown value came back as. */
export interface NonErrorOutcome {
  kind: string;
  /** The caller caught the very value thrown. */
  rethrownAsIs: boolean;
  /** Spans with an error status, and how many of them carry a string `error.type`. */
  errorSpans: number;
  typedErrorSpans: number;
}

/** Throws `value` from a turn's work `repeat` times on one session; returns what was seen. */
export async function throwFromTurn(kind: string, value: unknown, repeat = 1): Promise<NonErrorOutcome> {
  const otel = createTestTelemetry();
  try {
    const agent = newAgent({ tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider });
    let rethrownAsIs = true;
    for (let i = 0; i < repeat; i++) {
      let caught: unknown = Symbol('nothing');
      await agent
        .run((s) =>
          s.runTurn(() => {
            throw value;
          }),
        )
        .catch((e: unknown) => {
          caught = e;
        });
      if (caught !== value) rethrownAsIs = false;
    }
    const failed = otel.spans().filter((sp) => sp.status.code === 2);
    return {
      kind,
      rethrownAsIs,
      errorSpans: failed.length,
      typedErrorSpans: failed.filter((sp) => typeof sp.attributes['error.type'] === 'string').length,
    };
  } finally {
    await otel.shutdown();
  }
}

/** Whether an outcome kept the promise. */
export const outcomeHeld = (o: NonErrorOutcome): boolean =>
  o.rethrownAsIs && o.errorSpans > 0 && o.typedErrorSpans === o.errorSpans;

/** The non-Error-throws row: every kind once (short) or 1,000 times each (long). */
export const nonErrorThrowsCase: ReliabilityCase = {
  name: 'non-error-throws',
  description: 'runTurn work throwing a string, undefined, null, a number, a plain and a cyclic object',
  async run({ long }) {
    const repeat = long ? 1000 : 1;
    const outcomes = [];
    for (const [kind, value] of NON_ERROR_THROWS) outcomes.push(await throwFromTurn(kind, value, repeat));
    const held = outcomes.filter(outcomeHeld);
    const spans = outcomes.reduce((a, o) => a + o.errorSpans, 0);
    return {
      survived: held.length === outcomes.length,
      figure: `${held.length}/${outcomes.length} kinds rethrown as is; ${spans} error spans, all with error.type`,
      detail: `${repeat} throw(s) per kind; failing kinds: ${
        outcomes
          .filter((o) => !outcomeHeld(o))
          .map((o) => o.kind)
          .join(', ') || 'none'
      }`,
    };
  },
};
