import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { describe, expect, it, vi } from 'vitest';
import {
  AllowAllGuardrail,
  defineGuardrail,
  type Guardrail,
  type GuardrailContext,
  GuardrailViolatedError,
  runGuardrails,
} from './guardrails.js';

const CALL = { role: 'writer', tool: 'shell' } as const;

/** Notes that a check ran, and returns its outcome. */
function record<T>(log: string[], entry: string, outcome: T): T {
  log.push(entry);
  return outcome;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('runGuardrails', () => {
  it('runs every guardrail of the stage in order and returns their verdicts', async () => {
    const seen: string[] = [];
    const guardrails: Guardrail[] = [
      { name: 'a', checkPre: () => record(seen, 'a', { allowed: true }) },
      { name: 'b', checkPost: () => record(seen, 'b-post', { allowed: true }) },
      { name: 'c', checkPre: async () => record(seen, 'c', { allowed: true, reason: 'fine' }) },
    ];
    const checks = await runGuardrails(guardrails, { stage: 'pre', ...CALL });
    expect(seen).toEqual(['a', 'c']);
    expect(checks).toEqual([
      { guardrail: 'a', stage: 'pre', outcome: { allowed: true } },
      { guardrail: 'c', stage: 'pre', outcome: { allowed: true, reason: 'fine' } },
    ]);
  });

  it('passes the call context to pre checks', async () => {
    const checkPre = vi.fn((_ctx: GuardrailContext) => ({ allowed: true }));
    await runGuardrails([{ name: 'spy', checkPre }], { stage: 'pre', ...CALL });
    expect(checkPre).toHaveBeenCalledWith({ role: 'writer', tool: 'shell' });
  });

  it('passes the value and context to post checks, and skips pre-only guardrails', async () => {
    const checkPost = vi.fn((_value: unknown, _ctx: GuardrailContext) => ({ allowed: true }));
    const checkPre = vi.fn(() => ({ allowed: false }));
    const checks = await runGuardrails(
      [
        { name: 'pre-only', checkPre },
        { name: 'post', checkPost },
      ],
      { stage: 'post', ...CALL, value: { stdout: 'ok' } },
    );
    expect(checkPre).not.toHaveBeenCalled();
    expect(checkPost).toHaveBeenCalledWith({ stdout: 'ok' }, { role: 'writer', tool: 'shell' });
    expect(checks).toEqual([{ guardrail: 'post', stage: 'post', outcome: { allowed: true } }]);
  });

  it('throws on the first violation and runs no later guardrail', async () => {
    const later = vi.fn(() => ({ allowed: false, reason: 'later' }));
    const err = await rejection(
      runGuardrails(
        [
          new AllowAllGuardrail(),
          { name: 'no_shell', checkPre: async () => ({ allowed: false, reason: 'shell is off limits' }) },
          { name: 'later', checkPre: later },
        ],
        { stage: 'pre', ...CALL },
      ),
    );
    expect(later).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(GuardrailViolatedError);
    expect(GuardrailViolatedError.isInstance(err)).toBe(true);
    expect(AgentraceError.isInstance(err)).toBe(true);
    const violated = err as GuardrailViolatedError;
    expect(violated.name).toBe('GuardrailViolatedError');
    expect(violated).toMatchObject({
      guardrail: 'no_shell',
      role: 'writer',
      tool: 'shell',
      stage: 'pre',
      outcome: { allowed: false, reason: 'shell is off limits' },
    });
    expect(violated.message).toBe(
      "guardrail 'no_shell' blocked tool 'shell' for role 'writer' (pre): shell is off limits",
    );
  });

  it('reports a post-stage violation with its stage', async () => {
    const err = await rejection(
      runGuardrails([{ name: 'size', checkPost: (v) => ({ allowed: String(v).length < 3 }) }], {
        stage: 'post',
        ...CALL,
        value: 'too long',
      }),
    );
    expect(err).toMatchObject({ stage: 'post', guardrail: 'size', outcome: { allowed: false } });
    expect((err as Error).message).toBe("guardrail 'size' blocked tool 'shell' for role 'writer' (post)");
  });

  it('awaits each guardrail before starting the next', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = runGuardrails(
      [
        {
          name: 'slow',
          checkPre: async () => {
            order.push('slow:start');
            await gate;
            order.push('slow:end');
            return { allowed: true };
          },
        },
        { name: 'fast', checkPre: () => record(order, 'fast', { allowed: true }) },
      ],
      { stage: 'pre', ...CALL },
    );
    await Promise.resolve();
    expect(order).toEqual(['slow:start']);
    release();
    await running;
    expect(order).toEqual(['slow:start', 'slow:end', 'fast']);
  });

  it('lets an error thrown by a guardrail propagate as it is', async () => {
    const boom = new Error('guardrail bug');
    const later = vi.fn(() => ({ allowed: true }));
    const sync = await rejection(
      runGuardrails(
        [
          {
            name: 'buggy',
            checkPre: () => {
              throw boom;
            },
          },
          { name: 'later', checkPre: later },
        ],
        { stage: 'pre', ...CALL },
      ),
    );
    expect(sync).toBe(boom);
    const async = await rejection(
      runGuardrails([{ name: 'buggy', checkPost: () => Promise.reject(boom) }], { stage: 'post', ...CALL }),
    );
    expect(async).toBe(boom);
    expect(later).not.toHaveBeenCalled();
  });

  it('calls class-based guardrails as methods', async () => {
    class Limit implements Guardrail {
      readonly name = 'limit';
      readonly #blocked = 'shell';
      checkPre(ctx: GuardrailContext) {
        return { allowed: ctx.tool !== this.#blocked, reason: 'blocked tool' };
      }
    }
    await expect(runGuardrails([new Limit()], { stage: 'pre', ...CALL })).rejects.toThrow(
      GuardrailViolatedError,
    );
    await expect(
      runGuardrails([new Limit()], { stage: 'pre', role: 'w', tool: 'search' }),
    ).resolves.toHaveLength(1);
  });

  it('accepts any iterable and an empty list', async () => {
    await expect(
      runGuardrails(new Set([new AllowAllGuardrail()]), { stage: 'post', ...CALL }),
    ).resolves.toEqual([{ guardrail: 'allow_all', stage: 'post', outcome: { allowed: true } }]);
    await expect(runGuardrails([], { stage: 'pre', ...CALL })).resolves.toEqual([]);
  });

  it('rejects bad input with a ValidationError naming the field', async () => {
    const cases: [Iterable<Guardrail>, 'pre' | 'post', string][] = [
      [[], 'during' as 'pre', 'stage'],
      [[null as unknown as Guardrail], 'pre', 'guardrails[0]'],
      [
        [new AllowAllGuardrail(), { checkPre: () => ({ allowed: true }) } as unknown as Guardrail],
        'pre',
        'guardrails[1]',
      ],
      [[{ name: 'x', checkPre: 'yes' } as unknown as Guardrail], 'pre', 'guardrails[0].checkPre'],
      [[{ name: 'x', checkPre: () => true } as unknown as Guardrail], 'pre', 'guardrails[0].checkPre()'],
      [
        [{ name: 'x', checkPost: async () => ({ allowed: 'no' }) } as unknown as Guardrail],
        'post',
        'guardrails[0].checkPost()',
      ],
      [
        [{ name: 'x', checkPre: () => ({ allowed: false, reason: 42 }) } as unknown as Guardrail],
        'pre',
        'guardrails[0].checkPre()',
      ],
    ];
    for (const [guardrails, stage, field] of cases) {
      const err = await rejection(runGuardrails(guardrails, { stage, ...CALL }));
      expect(err, field).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
  });
});

describe('GuardrailViolatedError', () => {
  it('carries its facts', () => {
    const outcome = { allowed: false, reason: 'nope' };
    const err = new GuardrailViolatedError({ outcome, guardrail: 'g', role: 'r', tool: 't', stage: 'post' });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ outcome, guardrail: 'g', role: 'r', tool: 't', stage: 'post' });
    expect(err.message).toBe("guardrail 'g' blocked tool 't' for role 'r' (post): nope");
  });
});

describe('AllowAllGuardrail', () => {
  it('allows both stages', () => {
    const g = new AllowAllGuardrail();
    expect(g.name).toBe('allow_all');
    expect(g.checkPre(CALL)).toEqual({ allowed: true });
    expect(g.checkPost('anything', CALL)).toEqual({ allowed: true });
  });
});

describe('defineGuardrail', () => {
  it('builds a guardrail from functions, booleans standing for outcomes', async () => {
    const g = defineGuardrail({
      name: 'no_shell',
      pre: ({ tool }) => tool !== 'shell',
      post: async (value) => (value === 'secret' ? { allowed: false, reason: 'leak' } : true),
    });
    expect(Object.isFrozen(g)).toBe(true);
    await expect(runGuardrails([g], { stage: 'pre', role: 'r', tool: 'search' })).resolves.toHaveLength(1);
    await expect(runGuardrails([g], { stage: 'pre', ...CALL })).rejects.toMatchObject({
      guardrail: 'no_shell',
      outcome: { allowed: false, reason: "blocked by guardrail 'no_shell'" },
    });
    await expect(runGuardrails([g], { stage: 'post', ...CALL, value: 'secret' })).rejects.toMatchObject({
      stage: 'post',
      outcome: { allowed: false, reason: 'leak' },
    });
    await expect(runGuardrails([g], { stage: 'post', ...CALL, value: 'fine' })).resolves.toEqual([
      { guardrail: 'no_shell', stage: 'post', outcome: { allowed: true } },
    ]);
  });

  it('leaves out the checks that were not given', () => {
    const g = defineGuardrail({ name: 'pre_only', pre: () => true });
    expect(g.checkPre).toBeTypeOf('function');
    expect(g.checkPost).toBeUndefined();
  });

  it('rejects a bad definition naming the field', () => {
    expect(() => defineGuardrail({ name: '' })).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => defineGuardrail({ name: 'x', pre: 'no' as unknown as () => boolean })).toThrow(
      expect.objectContaining({ field: 'pre' }),
    );
    expect(() => defineGuardrail({ name: 'x', post: 1 as unknown as () => boolean })).toThrow(
      expect.objectContaining({ field: 'post' }),
    );
  });

  // Found by the reliability fuzzer: a missing definition threw a TypeError from destructuring.
  it.each([undefined, null])('refuses a %s definition as a ValidationError naming name', (definition) => {
    expect(() => defineGuardrail(definition as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'name' }),
    );
  });
});
