import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import {
  PermissionDeniedError,
  PermissionEnforcer,
  PermissionMode,
  PermissionOutcome,
  PermissionPolicy,
  type PermissionPolicyOptions,
  parsePermissionMode,
  permissionModeName,
} from './permissions.js';

interface PermissionCase {
  role: string;
  tool: string;
  outcome: Record<string, unknown>;
}

/*
 * The vector holds outcomes but not the policy that produced them. This config reproduces every case; what
 * the cases imply:
 * - reader is READ_ONLY with no lists; writer is WORKSPACE_WRITE and denies `delete_file` (its `DELETE_FILE`
 *   is denied too: the denied list is case-insensitive); admin is FULL_ACCESS with an allowed list of
 *   search/write_file/shell (`Write_File` passes it: the allowed list is case-insensitive too).
 * - Tool requirements are looked up by the exact name. `delete_file` requires WORKSPACE_WRITE (reader is
 *   refused it) but `DELETE_FILE` requires READ_ONLY (reader is allowed it; admin's outcome says
 *   required_mode READ_ONLY): no case-insensitive lookup can give both, so the lookup is case-sensitive.
 *   Then `Write_File` requiring WORKSPACE_WRITE means the reference config listed that spelling as well.
 * - `stranger` has no config and gets the default allow.
 */
const VECTOR_POLICY: PermissionPolicyOptions = {
  roles: {
    reader: { role: 'reader', mode: PermissionMode.READ_ONLY },
    writer: { role: 'writer', mode: PermissionMode.WORKSPACE_WRITE, deniedTools: ['delete_file'] },
    admin: {
      role: 'admin',
      mode: PermissionMode.FULL_ACCESS,
      allowedTools: ['search', 'write_file', 'shell'],
    },
  },
  toolRequirements: {
    write_file: PermissionMode.WORKSPACE_WRITE,
    Write_File: PermissionMode.WORKSPACE_WRITE,
    delete_file: PermissionMode.WORKSPACE_WRITE,
    shell: PermissionMode.FULL_ACCESS,
  },
};

describe('PermissionMode', () => {
  it('is ordered and named', () => {
    expect(PermissionMode.READ_ONLY).toBeLessThan(PermissionMode.WORKSPACE_WRITE);
    expect(PermissionMode.WORKSPACE_WRITE).toBeLessThan(PermissionMode.FULL_ACCESS);
    expect(permissionModeName(PermissionMode.READ_ONLY)).toBe('READ_ONLY');
    expect(permissionModeName(PermissionMode.WORKSPACE_WRITE)).toBe('WORKSPACE_WRITE');
    expect(permissionModeName(PermissionMode.FULL_ACCESS)).toBe('FULL_ACCESS');
  });

  it('parses names case-insensitively', () => {
    expect(parsePermissionMode('READ_ONLY')).toBe(PermissionMode.READ_ONLY);
    expect(parsePermissionMode('workspace_write')).toBe(PermissionMode.WORKSPACE_WRITE);
    expect(parsePermissionMode('Full_Access')).toBe(PermissionMode.FULL_ACCESS);
  });

  it('rejects unknown modes and names with a ValidationError naming the field', () => {
    expect(() => permissionModeName(7 as PermissionMode)).toThrow(ValidationError);
    const err = catchError(() => parsePermissionMode('admin'));
    expect(ValidationError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ field: 'mode', value: 'admin' });
    expect((err as Error).message).toMatch(/^mode must be a PermissionMode/);
    // Inherited keys are not names.
    expect(() => parsePermissionMode('constructor')).toThrow(ValidationError);
  });
});

describe('PermissionPolicy (vectors/permissions.json)', () => {
  const cases: PermissionCase[] = loadVector('permissions').cases;
  const policy = new PermissionPolicy(VECTOR_POLICY);

  it('has cases', () => {
    expect(cases).toHaveLength(28);
  });

  it.each(cases.map((c) => [c.role, c.tool, c] as const))('%s → %s', (_role, _tool, c) => {
    const outcome = policy.authorize(c.role, c.tool);
    expect(outcome.toDict()).toStrictEqual(c.outcome);
    expect(JSON.parse(JSON.stringify(outcome))).toStrictEqual(c.outcome);
    expect(outcome.allowed).toBe(c.outcome['allowed']);
  });

  it('gives the same outcomes with roles as a list and modes as names', () => {
    const listed = new PermissionPolicy({
      roles: [
        { role: 'reader', mode: 'read_only' },
        { role: 'writer', mode: 'WORKSPACE_WRITE', deniedTools: ['DELETE_FILE'] },
        { role: 'admin', mode: 'FULL_ACCESS', allowedTools: ['Search', 'WRITE_FILE', 'shell'] },
      ],
      toolRequirements: {
        write_file: 'WORKSPACE_WRITE',
        Write_File: 'WORKSPACE_WRITE',
        delete_file: 'workspace_write',
        shell: 'FULL_ACCESS',
      },
    });
    for (const c of cases) expect(listed.authorize(c.role, c.tool).toDict()).toStrictEqual(c.outcome);
  });
});

describe('PermissionPolicy', () => {
  it('denies unknown roles when configured, naming the role', () => {
    const policy = new PermissionPolicy({ defaultAllowUnknownRoles: false });
    const outcome = policy.authorize('stranger', 'search');
    expect(outcome.toDict()).toStrictEqual({
      allowed: false,
      reason: "no config for role 'stranger', default deny",
    });
  });

  it('allows everything with no config', () => {
    expect(new PermissionPolicy().authorize('anyone', 'shell').allowed).toBe(true);
  });

  it('checks the denied list before the mode', () => {
    const policy = new PermissionPolicy({
      roles: { admin: { role: 'admin', mode: PermissionMode.FULL_ACCESS, deniedTools: ['shell'] } },
      toolRequirements: { shell: PermissionMode.FULL_ACCESS },
    });
    expect(policy.authorize('admin', 'Shell').toDict()).toMatchObject({
      allowed: false,
      required_mode: 'N/A',
    });
  });

  it('checks the mode before the allowed list', () => {
    const policy = new PermissionPolicy({
      roles: { r: { role: 'r', mode: PermissionMode.READ_ONLY, allowedTools: ['shell'] } },
      toolRequirements: { shell: PermissionMode.FULL_ACCESS },
    });
    expect(policy.authorize('r', 'shell').reason).toBe(
      "role 'r' has READ_ONLY but tool requires FULL_ACCESS",
    );
  });

  it('gives frozen outcomes', () => {
    const outcome = new PermissionPolicy().authorize('a', 'b');
    expect(Object.isFrozen(outcome)).toBe(true);
    expect(outcome).toBeInstanceOf(PermissionOutcome);
  });

  it('rejects malformed configs with a ValidationError naming the field', () => {
    const bad: [unknown, string][] = [
      [{ roles: { w: { role: 'w', mode: 9 } } }, 'roles.w.mode'],
      [{ roles: { w: { role: 'w', mode: 'superuser' } } }, 'roles.w.mode'],
      [{ roles: { w: { role: 'w' } } }, 'roles.w.mode'],
      [{ roles: { w: { role: 'x', mode: 1 } } }, 'roles.w.role'],
      [{ roles: { w: 'READ_ONLY' } }, 'roles.w'],
      [{ roles: [{ mode: 1 }] }, 'roles[0].role'],
      [{ roles: [{ role: '', mode: 1 }] }, 'roles[0].role'],
      [
        {
          roles: [
            { role: 'a', mode: 1 },
            { role: 'a', mode: 2 },
          ],
        },
        'roles[1].role',
      ],
      [{ roles: [{ role: 'a', mode: 2.5 }] }, 'roles[0].mode'],
      [{ roles: 'reader' }, 'roles'],
      [{ roles: { w: { role: 'w', mode: 1, allowedTools: 'search' } } }, 'roles.w.allowedTools'],
      [{ roles: { w: { role: 'w', mode: 1, deniedTools: ['ok', 3] } } }, 'roles.w.deniedTools[1]'],
      [{ toolRequirements: { shell: 'root' } }, 'toolRequirements.shell'],
      [{ toolRequirements: ['shell'] }, 'toolRequirements'],
      [{ defaultAllowUnknownRoles: 'no' }, 'defaultAllowUnknownRoles'],
    ];
    for (const [options, field] of bad) {
      const err = catchError(() => new PermissionPolicy(options as PermissionPolicyOptions));
      expect(err, field).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
  });

  it('rejects a non-string role or tool', () => {
    const policy = new PermissionPolicy();
    expect(catchError(() => policy.authorize(1 as unknown as string, 'x'))).toMatchObject({ field: 'role' });
    expect(catchError(() => policy.authorize('r', undefined as unknown as string))).toMatchObject({
      field: 'tool',
    });
  });
});

describe('PermissionEnforcer', () => {
  const enforcer = new PermissionEnforcer(new PermissionPolicy(VECTOR_POLICY));

  it('checks, answers and filters', () => {
    expect(enforcer.check('reader', 'shell').allowed).toBe(false);
    expect(enforcer.isAllowed('reader', 'search')).toBe(true);
    expect(enforcer.isAllowed('writer', 'DELETE_FILE')).toBe(false);
    expect(enforcer.filterTools('reader', ['search', 'write_file', 'shell', 'DELETE_FILE'])).toEqual([
      'search',
      'DELETE_FILE',
    ]);
    expect(enforcer.filterTools('admin', new Set(['shell', 'unlisted', 'Write_File']))).toEqual([
      'shell',
      'Write_File',
    ]);
  });

  it('returns the allowing outcome from assertAllowed', () => {
    expect(enforcer.assertAllowed('writer', 'write_file').toDict()).toStrictEqual({
      allowed: true,
      active_mode: 'WORKSPACE_WRITE',
      required_mode: 'WORKSPACE_WRITE',
    });
  });

  it('throws PermissionDeniedError with the facts and the reason as message', () => {
    const err = catchError(() => enforcer.assertAllowed('writer', 'shell'));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(PermissionDeniedError.isInstance(err)).toBe(true);
    expect(AgentraceError.isInstance(err)).toBe(true);
    expect(ValidationError.isInstance(err)).toBe(false);
    const denied = err as PermissionDeniedError;
    expect(denied.name).toBe('PermissionDeniedError');
    expect(denied.role).toBe('writer');
    expect(denied.tool).toBe('shell');
    expect(denied.message).toBe("role 'writer' has WORKSPACE_WRITE but tool requires FULL_ACCESS");
    expect(denied.outcome.toDict()).toStrictEqual({
      allowed: false,
      reason: "role 'writer' has WORKSPACE_WRITE but tool requires FULL_ACCESS",
      active_mode: 'WORKSPACE_WRITE',
      required_mode: 'FULL_ACCESS',
    });
  });

  it('names role and tool when an outcome has no reason', () => {
    const err = new PermissionDeniedError({
      outcome: new PermissionOutcome({ allowed: false }),
      role: 'r',
      tool: 't',
    });
    expect(err.message).toBe("tool 't' is not allowed for role 'r'");
  });

  it('requires a PermissionPolicy', () => {
    expect(catchError(() => new PermissionEnforcer({} as PermissionPolicy))).toMatchObject({
      field: 'policy',
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
