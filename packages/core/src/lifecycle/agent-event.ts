import { AgentraceError } from '@agentrace/pricing';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { isOneOf } from '../common/wire.js';
import { sanitize } from '../telemetry/redact.js';
import {
  ATTR_AGENT_DETAIL,
  ATTR_AGENT_EVENT,
  ATTR_AGENT_EVENT_STATUS,
  ATTR_AGENT_EVENT_TIMESTAMP,
  ATTR_AGENT_FAILURE_CLASS,
  ATTR_AGENT_PHASE,
  ATTR_AGENT_PROJECT_ID,
  ATTR_AGENT_ROLE,
  ATTR_AGENTRACE_PHASE,
  ATTR_AGENTRACE_PROJECT_ID,
  ATTR_GEN_AI_AGENT_NAME,
} from '../telemetry/semconv.js';
import { AgentEventName, AgentEventStatus, AgentFailureClass } from './event-names.js';

/**
 * Thrown when an event is built from bad input: an unknown or missing `event` name or `status`, an unknown
 * failure class, unparsable JSON. `field` names what was wrong.
 */
export class InvalidEventError extends AgentraceError {
  static override readonly errorName: string = 'InvalidEventError';
  /** The field that was wrong (`event`, `status`, `failure_class`, `project_id`, `json`, …). */
  readonly field: string;
  /** The value that was given. */
  readonly value: unknown;

  constructor(field: string, value: unknown, message: string, options?: ErrorOptions) {
    super(message, options);
    this.field = field;
    this.value = value;
  }
}

/** The fields of an {@link AgentEvent}; `emittedAt` defaults to now. */
export interface AgentEventInit {
  event: AgentEventName;
  status: AgentEventStatus;
  /** ISO-8601 UTC; kept verbatim when given (a `+00:00` suffix stays). */
  emittedAt?: string;
  role?: string;
  phase?: string;
  projectId?: number;
  failureClass?: AgentFailureClass;
  detail?: string;
  data?: Record<string, unknown>;
}

/** Attribute values of an event as recorded on a span event. */
export type EventAttributes = Record<string, string | number | boolean>;

/**
 * An immutable record of something that happened to an agent (the reference's wire contract).
 *
 * Builders (`withDetail`, …) return new instances. `toDict()` gives the snake_case wire form;
 * `toOtelAttributes()` the span-event attributes (GenAI conventions plus the reference's `agent.*` keys).
 *
 * @example
 * ```ts
 * const e = AgentEvent.failed('writer', 'draft', AgentFailureClass.RATE_LIMIT, '429');
 * e.toDict(); // { event: 'agent.failed', type: 'failed', status: 'failed', emitted_at: '…', role: 'writer', … }
 * AgentEvent.fromJSON(e.toJsonString()).detail; // '429'
 * ```
 */
export class AgentEvent {
  readonly event: AgentEventName;
  readonly status: AgentEventStatus;
  readonly emittedAt: string;
  readonly role?: string;
  readonly phase?: string;
  readonly projectId?: number;
  readonly failureClass?: AgentFailureClass;
  readonly detail?: string;
  readonly data?: Readonly<Record<string, unknown>>;

  /** @throws {InvalidEventError} for an unknown event name, status or failure class. */
  constructor(init: AgentEventInit) {
    if (!isOneOf(AgentEventName, init.event)) {
      throw new InvalidEventError(
        'event',
        init.event,
        `unknown event name (event) ${JSON.stringify(init.event)}`,
      );
    }
    if (!isOneOf(AgentEventStatus, init.status)) {
      throw new InvalidEventError(
        'status',
        init.status,
        `unknown event status ${JSON.stringify(init.status)}`,
      );
    }
    if (init.failureClass !== undefined && !isOneOf(AgentFailureClass, init.failureClass)) {
      throw new InvalidEventError(
        'failure_class',
        init.failureClass,
        `unknown failure_class ${JSON.stringify(init.failureClass)}`,
      );
    }
    if (init.projectId !== undefined && !Number.isSafeInteger(init.projectId)) {
      throw new InvalidEventError(
        'project_id',
        init.projectId,
        `project_id must be an integer, got ${init.projectId}`,
      );
    }
    this.event = init.event;
    this.status = init.status;
    this.emittedAt = init.emittedAt ?? new Date().toISOString();
    if (init.role !== undefined) this.role = init.role;
    if (init.phase !== undefined) this.phase = init.phase;
    if (init.projectId !== undefined) this.projectId = init.projectId;
    if (init.failureClass !== undefined) this.failureClass = init.failureClass;
    if (init.detail !== undefined) this.detail = init.detail;
    if (init.data !== undefined) this.data = Object.freeze({ ...init.data });
    Object.freeze(this);
  }

  /** `agent.started` (running). */
  static started(role: string, phase: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.AGENT_STARTED,
      status: AgentEventStatus.RUNNING,
      role,
      phase,
    });
  }

  /** `agent.completed` (completed). */
  static completed(role: string, phase: string, detail?: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.AGENT_COMPLETED,
      status: AgentEventStatus.COMPLETED,
      role,
      phase,
      ...(detail !== undefined && { detail }),
    });
  }

  /** `agent.failed` (failed) with its failure class. */
  static failed(role: string, phase: string, failureClass: AgentFailureClass, detail?: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.AGENT_FAILED,
      status: AgentEventStatus.FAILED,
      role,
      phase,
      failureClass,
      ...(detail !== undefined && { detail }),
    });
  }

  /** `phase.started` (running). */
  static phaseStarted(phase: string): AgentEvent {
    return new AgentEvent({ event: AgentEventName.PHASE_STARTED, status: AgentEventStatus.RUNNING, phase });
  }

  /** `phase.gate_passed` (green). */
  static gatePassed(phase: string, detail?: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.PHASE_GATE_PASSED,
      status: AgentEventStatus.GREEN,
      phase,
      ...(detail !== undefined && { detail }),
    });
  }

  /** `phase.gate_failed` (red). */
  static gateFailed(phase: string, detail?: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.PHASE_GATE_FAILED,
      status: AgentEventStatus.RED,
      phase,
      ...(detail !== undefined && { detail }),
    });
  }

  /** `agent.recovery.attempted` (running). */
  static recoveryAttempted(role: string, phase: string, detail?: string): AgentEvent {
    return new AgentEvent({
      event: AgentEventName.RECOVERY_ATTEMPTED,
      status: AgentEventStatus.RUNNING,
      role,
      phase,
      ...(detail !== undefined && { detail }),
    });
  }

  /** A copy with the failure class set. */
  withFailureClass(failureClass: AgentFailureClass): AgentEvent {
    return new AgentEvent({ ...this.#init(), failureClass });
  }

  /** A copy with the detail set. */
  withDetail(detail: string): AgentEvent {
    return new AgentEvent({ ...this.#init(), detail });
  }

  /** A copy with `data` merged over the existing data. */
  withData(data: Record<string, unknown>): AgentEvent {
    return new AgentEvent({ ...this.#init(), data: { ...this.data, ...data } });
  }

  /** A copy with the project id set. */
  withProject(projectId: number): AgentEvent {
    return new AgentEvent({ ...this.#init(), projectId });
  }

  /** The last dotted segment of the event name (`agent.recovery.attempted` → `attempted`). */
  get type(): string {
    return this.event.slice(this.event.lastIndexOf('.') + 1);
  }

  /** The wire form: `event, type, status, emitted_at`, then the optional keys only when set. */
  toDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      event: this.event,
      type: this.type,
      status: this.status,
      emitted_at: this.emittedAt,
    };
    if (this.role !== undefined) out.role = this.role;
    if (this.phase !== undefined) out.phase = this.phase;
    if (this.projectId !== undefined) out.project_id = this.projectId;
    if (this.failureClass !== undefined) out.failure_class = this.failureClass;
    if (this.detail !== undefined) out.detail = this.detail;
    if (this.data !== undefined) out.data = { ...this.data };
    return out;
  }

  /** Same as {@link AgentEvent.toDict}; lets `JSON.stringify(event)` produce the wire form. */
  toJSON(): Record<string, unknown> {
    return this.toDict();
  }

  /** The wire form as a JSON string. */
  toJsonString(): string {
    return JSON.stringify(this.toDict());
  }

  /**
   * Reads the wire form. Unknown keys are ignored; `emitted_at` is kept verbatim.
   *
   * @throws {InvalidEventError} naming the field for a missing/unknown `event` or `status`, or a wrongly typed field.
   */
  static fromDict(obj: unknown): AgentEvent {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new InvalidEventError('event', obj, 'an agent event must be a JSON object');
    }
    const d = obj as Record<string, unknown>;
    if (d.event === undefined)
      throw new InvalidEventError('event', undefined, 'agent event is missing "event"');
    if (d.status === undefined)
      throw new InvalidEventError('status', undefined, 'agent event is missing "status"');
    const str = (key: string): string | undefined => {
      const v = d[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw new InvalidEventError(key, v, `agent event "${key}" must be a string`);
      return v;
    };
    const data = d.data;
    if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new InvalidEventError('data', data, 'agent event "data" must be an object');
    }
    const projectId = d.project_id;
    if (projectId !== undefined && projectId !== null && typeof projectId !== 'number') {
      throw new InvalidEventError('project_id', projectId, 'agent event "project_id" must be a number');
    }
    const init: AgentEventInit = {
      event: d.event as AgentEventName,
      status: d.status as AgentEventStatus,
    };
    const emittedAt = str('emitted_at');
    const role = str('role');
    const phase = str('phase');
    const failureClass = str('failure_class');
    const detail = str('detail');
    if (emittedAt !== undefined) init.emittedAt = emittedAt;
    if (role !== undefined) init.role = role;
    if (phase !== undefined) init.phase = phase;
    if (typeof projectId === 'number') init.projectId = projectId;
    if (failureClass !== undefined) init.failureClass = failureClass as AgentFailureClass;
    if (detail !== undefined) init.detail = detail;
    if (data !== undefined && data !== null) init.data = data as Record<string, unknown>;
    return new AgentEvent(init);
  }

  /**
   * Reads the wire form from a JSON string or an already-parsed object.
   *
   * @throws {InvalidEventError} for unparsable JSON (`field` = `json`) or bad fields (see {@link AgentEvent.fromDict}).
   */
  static fromJSON(input: string | Record<string, unknown>): AgentEvent {
    if (typeof input !== 'string') return AgentEvent.fromDict(input);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      throw new InvalidEventError('json', input, `agent event is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return AgentEvent.fromDict(parsed);
  }

  /**
   * Span-event attributes: the GenAI conventions' names (`gen_ai.agent.name` for the role, `error.type` for the
   * failure class), agentrace's own names for what they lack, and the reference's `agent.*` keys beside them so
   * dashboards built on the reference keep working. Never contains undefined values; the detail is masked and
   * length-limited.
   */
  toOtelAttributes(maxLength?: number): EventAttributes {
    const attrs: EventAttributes = {
      [ATTR_AGENT_EVENT]: this.event,
      [ATTR_AGENT_EVENT_STATUS]: this.status,
      [ATTR_AGENT_EVENT_TIMESTAMP]: this.emittedAt,
    };
    if (this.role !== undefined) {
      attrs[ATTR_AGENT_ROLE] = this.role;
      attrs[ATTR_GEN_AI_AGENT_NAME] = this.role;
    }
    if (this.phase !== undefined) {
      attrs[ATTR_AGENT_PHASE] = this.phase;
      attrs[ATTR_AGENTRACE_PHASE] = this.phase;
    }
    if (this.projectId !== undefined) {
      attrs[ATTR_AGENT_PROJECT_ID] = this.projectId;
      attrs[ATTR_AGENTRACE_PROJECT_ID] = this.projectId;
    }
    if (this.failureClass !== undefined) {
      attrs[ATTR_AGENT_FAILURE_CLASS] = this.failureClass;
      attrs[ATTR_ERROR_TYPE] = this.failureClass;
    }
    if (this.detail !== undefined) attrs[ATTR_AGENT_DETAIL] = sanitize(this.detail, maxLength);
    return attrs;
  }

  #init(): AgentEventInit {
    const init: AgentEventInit = { event: this.event, status: this.status, emittedAt: this.emittedAt };
    if (this.role !== undefined) init.role = this.role;
    if (this.phase !== undefined) init.phase = this.phase;
    if (this.projectId !== undefined) init.projectId = this.projectId;
    if (this.failureClass !== undefined) init.failureClass = this.failureClass;
    if (this.detail !== undefined) init.detail = this.detail;
    if (this.data !== undefined) init.data = { ...this.data };
    return init;
  }
}
