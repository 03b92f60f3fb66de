import { AgentraceError, ValidationError } from '@agentrace/pricing';
import type { ValueOf } from '../common/wire.js';

/**
 * How much a role may do, as ordered numbers (`READ_ONLY < WORKSPACE_WRITE < FULL_ACCESS`) so modes compare
 * with `<`. JSON forms and messages write the upper-case name (see {@link permissionModeName}).
 *
 * @example
 * ```ts
 * if (mode >= PermissionMode.WORKSPACE_WRITE) writeFile();
 * ```
 */
export const PermissionMode = { READ_ONLY: 1, WORKSPACE_WRITE: 2, FULL_ACCESS: 3 } as const;
export type PermissionMode = ValueOf<typeof PermissionMode>;

/** The wire name of a {@link PermissionMode}: `'READ_ONLY' | 'WORKSPACE_WRITE' | 'FULL_ACCESS'`. */
export type PermissionModeName = keyof typeof PermissionMode;

/**
 * A mode as accepted in configs: the number, or its name in upper or lower case (`'READ_ONLY'`,
 * `'read_only'`).
 */
export type PermissionModeInput = PermissionMode | PermissionModeName | Lowercase<PermissionModeName>;

const MODE_NAMES = Object.keys(PermissionMode) as PermissionModeName[];
const MODE_EXPECTED = `a PermissionMode (1, 2, 3) or its name (${MODE_NAMES.join(', ')})`;

/**
 * The wire name of a permission mode.
 *
 * @example
 * ```ts
 * permissionModeName(PermissionMode.FULL_ACCESS); // 'FULL_ACCESS'
 * ```
 * @throws {ValidationError} `mode` is not one of the {@link PermissionMode} values.
 */
export function permissionModeName(mode: PermissionMode): PermissionModeName {
  const name = MODE_NAMES.find((n) => PermissionMode[n] === mode);
  if (name === undefined) throw new ValidationError({ field: 'mode', value: mode, expected: MODE_EXPECTED });
  return name;
}

/**
 * Parses a permission mode name. Case-insensitive, so the spec's `read_only` and the wire's `READ_ONLY` both
 * work.
 *
 * @example
 * ```ts
 * parsePermissionMode('workspace_write'); // PermissionMode.WORKSPACE_WRITE (2)
 * ```
 * @throws {ValidationError} `name` names no mode.
 */
export function parsePermissionMode(name: string): PermissionMode {
  return toMode(name, 'mode');
}

/** Accepts a mode number or a name; anything else is a {@link ValidationError} naming `field`. */
function toMode(value: unknown, field: string): PermissionMode {
  if (typeof value === 'number' && MODE_NAMES.some((n) => PermissionMode[n] === value)) {
    return value as PermissionMode;
  }
  if (typeof value === 'string') {
    const key = value.toUpperCase();
    if (Object.hasOwn(PermissionMode, key)) return PermissionMode[key as PermissionModeName];
  }
  throw new ValidationError({ field, value, expected: MODE_EXPECTED });
}

/**
 * What one role may do.
 *
 * @example
 * ```ts
 * const writer: RolePermissionConfig = {
 *   role: 'writer',
 *   mode: PermissionMode.WORKSPACE_WRITE,
 *   deniedTools: ['delete_file'],
 * };
 * ```
 */
export interface RolePermissionConfig {
  /** The role this applies to; must equal the key it is stored under in {@link PermissionPolicyOptions.roles}. */
  role: string;
  /** The role's mode; a name (`'READ_ONLY'` or `'read_only'`) is accepted too. */
  mode: PermissionModeInput;
  /** If given, only these tools are allowed (case-insensitive), on top of the mode check. */
  allowedTools?: readonly string[];
  /** Tools always refused to this role (case-insensitive), whatever its mode. */
  deniedTools?: readonly string[];
}

/** The required mode of an explicitly denied tool, as the reference writes it. */
export const REQUIRED_MODE_NOT_APPLICABLE = 'N/A';

/** Reason of the unknown-role default allow, exactly as the reference gives it. */
export const UNKNOWN_ROLE_ALLOW_REASON = 'no config for role, default allow';

/** The JSON form of a {@link PermissionOutcome}, keys as in `vectors/permissions.json`. */
export interface PermissionOutcomeDict {
  allowed: boolean;
  reason?: string;
  active_mode?: PermissionModeName;
  required_mode?: PermissionModeName | typeof REQUIRED_MODE_NOT_APPLICABLE;
}

/**
 * The answer to "may this role call this tool?". An allowed outcome has no `reason`, except the unknown-role
 * default allow; a denied one always has one. `activeMode`/`requiredMode` are mode names, present when the
 * role is configured; an explicit deny has `requiredMode` `'N/A'` (the tool's requirement was never looked at).
 */
export class PermissionOutcome {
  /** Whether the call may go ahead. */
  readonly allowed: boolean;
  /** Why it was refused (or why an unknown role was let through). */
  readonly reason?: string;
  /** The role's mode. */
  readonly activeMode?: PermissionModeName;
  /** The tool's required mode, or `'N/A'` for an explicit deny. */
  readonly requiredMode?: PermissionModeName | typeof REQUIRED_MODE_NOT_APPLICABLE;

  constructor(init: {
    allowed: boolean;
    reason?: string;
    activeMode?: PermissionModeName;
    requiredMode?: PermissionModeName | typeof REQUIRED_MODE_NOT_APPLICABLE;
  }) {
    this.allowed = init.allowed;
    if (init.reason !== undefined) this.reason = init.reason;
    if (init.activeMode !== undefined) this.activeMode = init.activeMode;
    if (init.requiredMode !== undefined) this.requiredMode = init.requiredMode;
    Object.freeze(this);
  }

  /** The wire form: `allowed`, then `reason`, `active_mode`, `required_mode` only when set. */
  toDict(): PermissionOutcomeDict {
    const out: PermissionOutcomeDict = { allowed: this.allowed };
    if (this.reason !== undefined) out.reason = this.reason;
    if (this.activeMode !== undefined) out.active_mode = this.activeMode;
    if (this.requiredMode !== undefined) out.required_mode = this.requiredMode;
    return out;
  }

  /** Same as {@link toDict}, so `JSON.stringify` writes the wire form. */
  toJSON(): PermissionOutcomeDict {
    return this.toDict();
  }
}

/** Options of a {@link PermissionPolicy}. */
export interface PermissionPolicyOptions {
  /** Per-role configs, keyed by role (or a list, each keyed by its `role`). */
  roles?: Readonly<Record<string, RolePermissionConfig>> | readonly RolePermissionConfig[];
  /**
   * The mode each tool requires; a tool not listed requires `READ_ONLY`. Looked up by the exact tool name
   * (case-sensitive, as the reference does): list every spelling a model may use.
   */
  toolRequirements?: Readonly<Record<string, PermissionModeInput>>;
  /** Whether a role with no config may call any tool (`true`, the default) or none. */
  defaultAllowUnknownRoles?: boolean;
}

interface NormalizedRole {
  readonly mode: PermissionMode;
  readonly allowed?: ReadonlySet<string>;
  readonly denied: ReadonlySet<string>;
}

/**
 * Decides which tools each role may call. Deny-first: the role's denied list (case-insensitive) → the tool's
 * required mode (default `READ_ONLY`) against the role's mode → the role's allowed list if it has one
 * (case-insensitive). A role with no config is allowed by default, or denied when
 * `defaultAllowUnknownRoles` is `false`.
 *
 * @example
 * ```ts
 * const policy = new PermissionPolicy({
 *   roles: {
 *     reader: { role: 'reader', mode: PermissionMode.READ_ONLY },
 *     writer: { role: 'writer', mode: PermissionMode.WORKSPACE_WRITE, deniedTools: ['delete_file'] },
 *   },
 *   toolRequirements: { write_file: PermissionMode.WORKSPACE_WRITE, shell: PermissionMode.FULL_ACCESS },
 * });
 * policy.authorize('reader', 'write_file').allowed; // false
 * ```
 */
export class PermissionPolicy {
  readonly #roles = new Map<string, NormalizedRole>();
  readonly #requirements = new Map<string, PermissionMode>();
  readonly #defaultAllow: boolean;

  /** @throws {ValidationError} a role config, tool requirement or option is malformed (the field is named). */
  constructor(options: PermissionPolicyOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({
        field: 'options',
        value: options,
        expected: 'a PermissionPolicyOptions object',
      });
    }
    const { roles, toolRequirements, defaultAllowUnknownRoles = true } = options;
    if (typeof defaultAllowUnknownRoles !== 'boolean') {
      throw new ValidationError({
        field: 'defaultAllowUnknownRoles',
        value: defaultAllowUnknownRoles,
        expected: 'a boolean',
      });
    }
    this.#defaultAllow = defaultAllowUnknownRoles;
    if (roles !== undefined) this.#loadRoles(roles);
    if (toolRequirements !== undefined) {
      if (!isPlainObject(toolRequirements)) {
        throw new ValidationError({
          field: 'toolRequirements',
          value: toolRequirements,
          expected: 'an object mapping tool names to modes',
        });
      }
      for (const [tool, mode] of Object.entries(toolRequirements)) {
        this.#requirements.set(tool, toMode(mode, `toolRequirements.${tool}`));
      }
    }
  }

  #loadRoles(roles: NonNullable<PermissionPolicyOptions['roles']>): void {
    let entries: [string, unknown, string][];
    if (Array.isArray(roles)) {
      entries = roles.map((cfg: unknown, i) => {
        const role = isPlainObject(cfg) ? cfg['role'] : undefined;
        return [typeof role === 'string' ? role : '', cfg, `roles[${i}]`];
      });
    } else if (isPlainObject(roles)) {
      entries = Object.entries(roles).map(([key, cfg]) => [key, cfg, `roles.${key}`]);
    } else {
      throw new ValidationError({
        field: 'roles',
        value: roles,
        expected: 'an object keyed by role, or a list of role configs',
      });
    }
    for (const [key, cfg, field] of entries) {
      if (!isPlainObject(cfg)) {
        throw new ValidationError({ field, value: cfg, expected: 'a RolePermissionConfig object' });
      }
      const role = cfg['role'];
      if (typeof role !== 'string' || role === '' || role !== key) {
        throw new ValidationError({
          field: `${field}.role`,
          value: role,
          expected: Array.isArray(roles)
            ? 'a non-empty string'
            : `the key it is stored under (${JSON.stringify(key)})`,
        });
      }
      if (this.#roles.has(role)) {
        throw new ValidationError({
          field: `${field}.role`,
          value: role,
          expected: 'a role that is configured only once',
        });
      }
      const mode = toMode(cfg['mode'], `${field}.mode`);
      const allowed = cfg['allowedTools'];
      const denied = cfg['deniedTools'];
      this.#roles.set(role, {
        mode,
        ...(allowed === undefined ? {} : { allowed: toolSet(allowed, `${field}.allowedTools`) }),
        denied: denied === undefined ? new Set() : toolSet(denied, `${field}.deniedTools`),
      });
    }
  }

  /**
   * Whether `role` may call `tool`, with the reason and the modes compared.
   *
   * @example
   * ```ts
   * policy.authorize('writer', 'DELETE_FILE').toDict();
   * // { allowed: false, reason: "tool 'DELETE_FILE' is explicitly denied for role 'writer'",
   * //   active_mode: 'WORKSPACE_WRITE', required_mode: 'N/A' }
   * ```
   * @throws {ValidationError} `role` or `tool` is not a string.
   */
  authorize(role: string, tool: string): PermissionOutcome {
    checkName(role, 'role');
    checkName(tool, 'tool');
    const cfg = this.#roles.get(role);
    if (cfg === undefined) {
      return this.#defaultAllow
        ? new PermissionOutcome({ allowed: true, reason: UNKNOWN_ROLE_ALLOW_REASON })
        : new PermissionOutcome({ allowed: false, reason: `no config for role '${role}', default deny` });
    }
    const activeMode = permissionModeName(cfg.mode);
    const folded = tool.toLowerCase();
    if (cfg.denied.has(folded)) {
      return new PermissionOutcome({
        allowed: false,
        reason: `tool '${tool}' is explicitly denied for role '${role}'`,
        activeMode,
        requiredMode: REQUIRED_MODE_NOT_APPLICABLE,
      });
    }
    const required = this.#requirements.get(tool) ?? PermissionMode.READ_ONLY;
    const requiredMode = permissionModeName(required);
    if (cfg.mode < required) {
      return new PermissionOutcome({
        allowed: false,
        reason: `role '${role}' has ${activeMode} but tool requires ${requiredMode}`,
        activeMode,
        requiredMode,
      });
    }
    if (cfg.allowed !== undefined && !cfg.allowed.has(folded)) {
      return new PermissionOutcome({
        allowed: false,
        reason: `tool '${tool}' not in allowed list for role '${role}'`,
        activeMode,
        requiredMode,
      });
    }
    return new PermissionOutcome({ allowed: true, activeMode, requiredMode });
  }
}

/**
 * Thrown when a role calls a tool its permissions refuse. The message is the outcome's reason.
 *
 * @example
 * ```ts
 * try {
 *   enforcer.assertAllowed('reader', 'shell');
 * } catch (err) {
 *   if (PermissionDeniedError.isInstance(err)) console.warn(err.outcome.toDict());
 * }
 * ```
 */
export class PermissionDeniedError extends AgentraceError {
  static override readonly errorName: string = 'PermissionDeniedError';

  /** The refusing outcome. */
  readonly outcome: PermissionOutcome;
  /** The role that asked. */
  readonly role: string;
  /** The tool it asked for. */
  readonly tool: string;

  constructor(init: { outcome: PermissionOutcome; role: string; tool: string }) {
    super(init.outcome.reason ?? `tool '${init.tool}' is not allowed for role '${init.role}'`);
    this.outcome = init.outcome;
    this.role = init.role;
    this.tool = init.tool;
  }
}

/**
 * Applies a {@link PermissionPolicy}: answers, filters tool lists, and throws for a refused call.
 *
 * @example
 * ```ts
 * const enforcer = new PermissionEnforcer(policy);
 * const tools = enforcer.filterTools('reader', ['search', 'write_file']); // ['search']
 * enforcer.assertAllowed('reader', 'write_file'); // throws PermissionDeniedError
 * ```
 */
export class PermissionEnforcer {
  /** The policy applied. */
  readonly policy: PermissionPolicy;

  constructor(policy: PermissionPolicy) {
    if (!(policy instanceof PermissionPolicy)) {
      throw new ValidationError({ field: 'policy', value: policy, expected: 'a PermissionPolicy' });
    }
    this.policy = policy;
  }

  /**
   * The policy's outcome for `role` calling `tool`.
   *
   * @throws {ValidationError} `role` or `tool` is not a string.
   */
  check(role: string, tool: string): PermissionOutcome {
    return this.policy.authorize(role, tool);
  }

  /**
   * Whether `role` may call `tool`.
   *
   * @throws {ValidationError} `role` or `tool` is not a string.
   */
  isAllowed(role: string, tool: string): boolean {
    return this.policy.authorize(role, tool).allowed;
  }

  /**
   * The tools of `tools` that `role` may call, in their order: for the tool list handed to a model.
   *
   * @throws {ValidationError} `role` or one of the tools is not a string.
   */
  filterTools(role: string, tools: Iterable<string>): string[] {
    const kept: string[] = [];
    for (const tool of tools) if (this.policy.authorize(role, tool).allowed) kept.push(tool);
    return kept;
  }

  /**
   * Returns the allowing outcome, or throws.
   *
   * @throws {PermissionDeniedError} the policy refuses the call; carries the outcome, role and tool.
   * @throws {ValidationError} `role` or `tool` is not a string.
   */
  assertAllowed(role: string, tool: string): PermissionOutcome {
    const outcome = this.policy.authorize(role, tool);
    if (!outcome.allowed) throw new PermissionDeniedError({ outcome, role, tool });
    return outcome;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkName(value: unknown, field: string): void {
  if (typeof value !== 'string') throw new ValidationError({ field, value, expected: 'a string' });
}

/** Case-folded set of tool names; the lists compare case-insensitively. */
function toolSet(value: unknown, field: string): Set<string> {
  if (!Array.isArray(value)) throw new ValidationError({ field, value, expected: 'an array of tool names' });
  return new Set(
    value.map((tool: unknown, i) => {
      if (typeof tool !== 'string') {
        throw new ValidationError({ field: `${field}[${i}]`, value: tool, expected: 'a string' });
      }
      return tool.toLowerCase();
    }),
  );
}
