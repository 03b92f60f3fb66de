import { AgentraceError, ValidationError } from '@agentrace/pricing';
import type { ValueOf } from '../common/wire.js';

/** When a guardrail runs: before the tool is called (`pre`) or on its result (`post`). */
export const GuardrailStage = { PRE: 'pre', POST: 'post' } as const;
export type GuardrailStage = ValueOf<typeof GuardrailStage>;

/** The call a guardrail is asked about. */
export interface GuardrailContext {
  /** The role calling the tool. */
  readonly role: string;
  /** The tool being called. */
  readonly tool: string;
}

/** A guardrail's verdict. A refusal should say why in `reason`; it becomes part of the error message. */
export interface GuardrailOutcome {
  readonly allowed: boolean;
  readonly reason?: string;
}

/**
 * A check around tool calls. `checkPre` sees the call before it happens; `checkPost` sees the tool's result.
 * Either may be omitted (the guardrail then takes no part in that stage), and either may be async.
 *
 * @example
 * ```ts
 * const noShellForWriters: Guardrail = {
 *   name: 'no_shell_for_writers',
 *   checkPre: ({ role, tool }) =>
 *     role === 'writer' && tool === 'shell' ? { allowed: false, reason: 'writers may not run shell' } : { allowed: true },
 * };
 * ```
 */
export interface Guardrail {
  /** Stable name, reported in errors and telemetry. */
  readonly name: string;
  /** Checks a call before the tool runs. */
  checkPre?(ctx: GuardrailContext): GuardrailOutcome | Promise<GuardrailOutcome>;
  /** Checks the tool's result. */
  checkPost?(value: unknown, ctx: GuardrailContext): GuardrailOutcome | Promise<GuardrailOutcome>;
}

/**
 * Thrown when a guardrail refuses a tool call (before it runs) or its result (after).
 *
 * @example
 * ```ts
 * try {
 *   await session.runTool('shell', run);
 * } catch (err) {
 *   if (GuardrailViolatedError.isInstance(err)) console.warn(`${err.guardrail} (${err.stage}): ${err.outcome.reason}`);
 * }
 * ```
 */
export class GuardrailViolatedError extends AgentraceError {
  static override readonly errorName: string = 'GuardrailViolatedError';

  /** The refusing outcome. */
  readonly outcome: GuardrailOutcome;
  /** Name of the guardrail that refused. */
  readonly guardrail: string;
  /** The role of the call. */
  readonly role: string;
  /** The tool of the call. */
  readonly tool: string;
  /** Whether the call (`pre`) or its result (`post`) was refused. */
  readonly stage: GuardrailStage;

  constructor(init: {
    outcome: GuardrailOutcome;
    guardrail: string;
    role: string;
    tool: string;
    stage: GuardrailStage;
  }) {
    const why = init.outcome.reason === undefined ? '' : `: ${init.outcome.reason}`;
    super(
      `guardrail '${init.guardrail}' blocked tool '${init.tool}' for role '${init.role}' (${init.stage})${why}`,
    );
    this.outcome = init.outcome;
    this.guardrail = init.guardrail;
    this.role = init.role;
    this.tool = init.tool;
    this.stage = init.stage;
  }
}

const ALLOW: GuardrailOutcome = Object.freeze({ allowed: true });

/**
 * A guardrail that allows everything: a placeholder where a guardrail is required, and a template.
 *
 * @example
 * ```ts
 * const agent = new AgentSession({ role: 'writer', phase: 'draft', guardrails: [new AllowAllGuardrail()] });
 * ```
 */
export class AllowAllGuardrail implements Guardrail {
  readonly name: string = 'allow_all';

  /** Always allows. */
  checkPre(_ctx: GuardrailContext): GuardrailOutcome {
    return ALLOW;
  }

  /** Always allows. */
  checkPost(_value: unknown, _ctx: GuardrailContext): GuardrailOutcome {
    return ALLOW;
  }
}

/** One guardrail's passing verdict, as returned by {@link runGuardrails}. */
export interface GuardrailCheck {
  readonly guardrail: string;
  readonly stage: GuardrailStage;
  readonly outcome: GuardrailOutcome;
}

/** What {@link runGuardrails} checks. */
export interface GuardrailRun {
  readonly stage: GuardrailStage;
  readonly role: string;
  readonly tool: string;
  /** The tool's result (post stage only). */
  readonly value?: unknown;
}

/**
 * Runs the guardrails of one stage in order, one at a time (each awaited before the next, so a later
 * guardrail never runs after an earlier refusal). Guardrails without a check for the stage are skipped.
 *
 * A guardrail that throws is a bug in the guardrail, not a verdict: its error propagates as it is and the
 * remaining guardrails do not run.
 *
 * @returns the passing verdicts in order (for telemetry), when every guardrail allowed the call.
 * @throws {GuardrailViolatedError} the first guardrail that refuses; carries outcome, guardrail, role, tool, stage.
 * @throws {ValidationError} `stage` is unknown, a guardrail is malformed, or a check returned something that is
 *   not a {@link GuardrailOutcome} (the field names the guardrail's index and check).
 *
 * @example
 * ```ts
 * await runGuardrails(guardrails, { stage: 'pre', role: 'writer', tool: 'search' });
 * const result = await search();
 * await runGuardrails(guardrails, { stage: 'post', role: 'writer', tool: 'search', value: result });
 * ```
 */
export async function runGuardrails(
  guardrails: Iterable<Guardrail>,
  run: GuardrailRun,
): Promise<GuardrailCheck[]> {
  const { stage, role, tool, value } = run;
  if (stage !== GuardrailStage.PRE && stage !== GuardrailStage.POST) {
    throw new ValidationError({ field: 'stage', value: stage, expected: "'pre' or 'post'" });
  }
  const ctx: GuardrailContext = Object.freeze({ role, tool });
  const checks: GuardrailCheck[] = [];
  let index = 0;
  for (const guardrail of guardrails) {
    const field = `guardrails[${index++}]`;
    if (typeof guardrail !== 'object' || guardrail === null || typeof guardrail.name !== 'string') {
      throw new ValidationError({ field, value: guardrail, expected: 'a Guardrail with a string name' });
    }
    const method = stage === GuardrailStage.PRE ? 'checkPre' : 'checkPost';
    const check = guardrail[method];
    if (check === undefined) continue;
    if (typeof check !== 'function') {
      throw new ValidationError({
        field: `${field}.${method}`,
        value: check,
        expected: 'a function or undefined',
      });
    }
    const raw =
      stage === GuardrailStage.PRE
        ? await guardrail.checkPre?.(ctx)
        : await guardrail.checkPost?.(value, ctx);
    const outcome = toOutcome(raw, `${field}.${method}()`);
    if (!outcome.allowed) {
      throw new GuardrailViolatedError({ outcome, guardrail: guardrail.name, role, tool, stage });
    }
    checks.push(Object.freeze({ guardrail: guardrail.name, stage, outcome }));
  }
  return checks;
}

function toOutcome(raw: unknown, field: string): GuardrailOutcome {
  if (typeof raw === 'object' && raw !== null) {
    const { allowed, reason } = raw as Record<string, unknown>;
    if (typeof allowed === 'boolean' && (reason === undefined || typeof reason === 'string')) {
      return Object.freeze(reason === undefined ? { allowed } : { allowed, reason });
    }
  }
  throw new ValidationError({
    field,
    value: raw,
    expected: 'a GuardrailOutcome ({ allowed: boolean, reason?: string })',
  });
}

/** What a check written for {@link defineGuardrail} may return: an outcome, or `true`/`false` for short. */
export type GuardrailVerdict = GuardrailOutcome | boolean;

/** The parts of a guardrail built with {@link defineGuardrail}. */
export interface GuardrailDefinition {
  /** Stable name, reported in errors and telemetry. */
  name: string;
  /** Checks a call before the tool runs. */
  pre?: (ctx: GuardrailContext) => GuardrailVerdict | Promise<GuardrailVerdict>;
  /** Checks the tool's result. */
  post?: (value: unknown, ctx: GuardrailContext) => GuardrailVerdict | Promise<GuardrailVerdict>;
}

/**
 * Builds a {@link Guardrail} from plain functions. A check may return `true`/`false` instead of an outcome;
 * `false` becomes a refusal whose reason names the guardrail.
 *
 * @example
 * ```ts
 * const noSecrets = defineGuardrail({
 *   name: 'no_secrets_in_output',
 *   post: (value) =>
 *     typeof value === 'string' && value.includes('sk-')
 *       ? { allowed: false, reason: 'output contains an API key' }
 *       : true,
 * });
 * ```
 * @throws {ValidationError} `name` is not a non-empty string, or `pre`/`post` is not a function.
 */
export function defineGuardrail(definition: GuardrailDefinition): Guardrail {
  // A missing definition is refused like a missing name (not a TypeError from destructuring).
  const { name, pre, post } = (definition ?? {}) as Partial<GuardrailDefinition>;
  if (typeof name !== 'string' || name === '') {
    throw new ValidationError({ field: 'name', value: name, expected: 'a non-empty string' });
  }
  for (const [field, fn] of [
    ['pre', pre],
    ['post', post],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new ValidationError({ field, value: fn, expected: 'a function or undefined' });
    }
  }
  const refused: GuardrailOutcome = Object.freeze({
    allowed: false,
    reason: `blocked by guardrail '${name}'`,
  });
  const normalize = (verdict: GuardrailVerdict): GuardrailOutcome =>
    verdict === true ? ALLOW : verdict === false ? refused : verdict;
  const guardrail: Guardrail = { name };
  if (pre !== undefined) guardrail.checkPre = async (ctx) => normalize(await pre(ctx));
  if (post !== undefined) guardrail.checkPost = async (value, ctx) => normalize(await post(value, ctx));
  return Object.freeze(guardrail);
}
