import { AgentraceError } from '@agentrace/core';

/**
 * An entry point of `@agentrace/instrumentation` was loaded without the framework package it instruments (an
 * optional peer dependency): `peer` names the package to install.
 */
export class MissingPeerDependencyError extends AgentraceError {
  static override readonly errorName = 'MissingPeerDependencyError';
  /** The package that is not installed (`@langchain/core`). */
  readonly peer: string;
  /** The entry point that needs it (`@agentrace/instrumentation/langchain`). */
  readonly entry: string;

  constructor(init: { peer: string; entry: string; cause?: unknown }) {
    super(
      `${init.entry} needs ${init.peer}, which is not installed: install it beside @agentrace/instrumentation` +
        ` (npm install ${init.peer})`,
      { cause: init.cause },
    );
    this.peer = init.peer;
    this.entry = init.entry;
  }
}

/** Whether `err` is Node's "cannot find package `name`" (ESM or CommonJS resolution). */
export function isPackageNotFound(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = e?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof e?.message === 'string' &&
    e.message.includes(name)
  );
}
