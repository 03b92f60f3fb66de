import { ValidationError } from '@agentrace/pricing';
import { context } from '@opentelemetry/api';
import { GuardrailStage, GuardrailViolatedError, runGuardrails } from '../governance/guardrails.js';
import { PermissionDeniedError } from '../governance/permissions.js';
import { AgentEvent } from '../lifecycle/agent-event.js';
import { AgentEventName, AgentEventStatus } from '../lifecycle/event-names.js';
import { sanitize } from '../telemetry/redact.js';
import * as sc from '../telemetry/semconv.js';
import type { SessionTelemetry } from '../telemetry/session-telemetry.js';
import type { ResolvedSessionConfig } from './session-config.js';
import type { SessionEmitter } from './session-emitter.js';
import { validateRunToolOptions } from './validate-call-options.js';

/** Options of {@link Session.runTool}. */
export interface RunToolOptions {
  /** Cancels the tool call (in addition to the session's signal). */
  signal?: AbortSignal;
  /** Tool-call id from the model's response (`gen_ai.tool.call.id`). */
  callId?: string;
  /** `gen_ai.tool.description`. */
  description?: string;
  /** `gen_ai.tool.type` (`function` by default, `extension`, `datastore`). */
  type?: string;
  /** The call's arguments; recorded as `gen_ai.tool.call.arguments` only when content capture is on. */
  args?: unknown;
}

/** @internal What a tool call needs from its session. */
export interface ToolRunnerHost {
  readonly cfg: ResolvedSessionConfig;
  readonly telemetry: SessionTelemetry;
  readonly emitter: SessionEmitter;
  /** The session's signal: every tool's signal follows it. */
  readonly signal: AbortSignal;
  /** @throws {SessionEndedError} the session has ended. */
  assertActive(action: string): void;
}

type ToolTelemetry = ReturnType<SessionTelemetry['startTool']>;

/** @internal {@link Session.runTool}: permission check, pre-guardrails, `fn`, post-guardrails, as an `execute_tool` span. */
export async function runTool<T>(
  host: ToolRunnerHost,
  name: string,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  opts: RunToolOptions = {},
): Promise<T> {
  host.assertActive('run a tool');
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValidationError({ field: 'name', value: name, expected: 'a non-empty tool name' });
  }
  if (typeof fn !== 'function') throw new ValidationError({ field: 'fn', value: fn, expected: 'a function' });
  validateRunToolOptions(opts);
  const { cfg, telemetry, emitter } = host;
  const tool = telemetry.startTool({
    name,
    ...(opts.callId !== undefined && { callId: opts.callId }),
    ...(opts.description !== undefined && { description: opts.description }),
    ...(opts.type !== undefined && { type: opts.type }),
  });
  tool.content(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, opts.args);
  const base = { role: cfg.role, tool: name };
  emitter.emit(
    new AgentEvent({ event: AgentEventName.AGENT_TOOL_CALLED, status: AgentEventStatus.RUNNING, ...base }),
    false,
  );
  try {
    if (cfg.permissions) {
      const outcome = cfg.permissions.check(cfg.role, name);
      if (!outcome.allowed) {
        const err = new PermissionDeniedError({ outcome, role: cfg.role, tool: name });
        emitter.emit(
          new AgentEvent({
            event: AgentEventName.PERMISSION_DENIED,
            status: AgentEventStatus.BLOCKED,
            role: cfg.role,
            phase: cfg.phase,
            detail: outcome.reason ?? 'denied',
            data: { tool: name, ...outcome.toDict() },
          }),
          false,
        );
        telemetry.addEvent(
          AgentEventName.PERMISSION_DENIED,
          {
            [sc.ATTR_AGENTRACE_PERMISSION_ALLOWED]: false,
            [sc.ATTR_AGENTRACE_PERMISSION_REASON]: outcome.reason,
            [sc.ATTR_AGENTRACE_PERMISSION_ACTIVE_MODE]: outcome.activeMode,
            [sc.ATTR_AGENTRACE_PERMISSION_REQUIRED_MODE]: outcome.requiredMode,
          },
          tool.span,
        );
        tool.end('denied', err, sc.ERROR_TYPE_VALUE_PERMISSION_DENIED);
        throw err;
      }
    }
    if (cfg.guardrails.length > 0) {
      await guard(host, tool, { stage: GuardrailStage.PRE, role: cfg.role, tool: name });
    }
    const signal = opts.signal ? AbortSignal.any([host.signal, opts.signal]) : host.signal;
    let result: T;
    try {
      result = await context.with(tool.context, () => fn(signal));
    } catch (err) {
      tool.end('error', err);
      throw err;
    }
    if (cfg.guardrails.length > 0) {
      await guard(host, tool, { stage: GuardrailStage.POST, role: cfg.role, tool: name, value: result });
    }
    tool.content(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, result);
    tool.end('ok');
    emitter.emit(
      new AgentEvent({
        event: AgentEventName.AGENT_TOOL_COMPLETED,
        status: AgentEventStatus.RUNNING,
        ...base,
      }),
      false,
    );
    return result;
  } finally {
    tool.endIfOpen();
  }
}

/** Runs the guardrails of one stage; a refusal is emitted, recorded on the tool's span and rethrown. */
async function guard(
  host: ToolRunnerHost,
  tool: ToolTelemetry,
  run: Parameters<typeof runGuardrails>[1],
): Promise<void> {
  try {
    await runGuardrails(host.cfg.guardrails, run);
  } catch (err) {
    if (GuardrailViolatedError.isInstance(err)) {
      host.emitter.emit(
        new AgentEvent({
          event: AgentEventName.GUARDRAIL_BLOCKED,
          status: AgentEventStatus.BLOCKED,
          role: host.cfg.role,
          phase: host.cfg.phase,
          detail: err.outcome.reason ?? `blocked by ${err.guardrail}`,
          data: { tool: run.tool, guardrail: err.guardrail, stage: err.stage },
        }),
        false,
      );
      host.telemetry.addEvent(
        AgentEventName.GUARDRAIL_BLOCKED,
        {
          [sc.ATTR_AGENTRACE_GUARDRAIL_NAME]: err.guardrail,
          [sc.ATTR_AGENTRACE_GUARDRAIL_STAGE]: err.stage,
          [sc.ATTR_AGENTRACE_GUARDRAIL_REASON]:
            err.outcome.reason !== undefined
              ? sanitize(err.outcome.reason, host.telemetry.maxLength)
              : undefined,
        },
        tool.span,
      );
      tool.end('blocked', err, sc.ERROR_TYPE_VALUE_GUARDRAIL);
    } else {
      tool.end('error', err);
    }
    throw err;
  }
}
