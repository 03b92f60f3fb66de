import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type ExitProcess, type ExitTelemetry, flushOnExit } from './flush-on-exit.js';

/** A stand-in for `process`: a real EventEmitter, with `kill` recorded instead of sent. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const killed: string[] = [];
  const proc = Object.assign(emitter, {
    pid: 4242,
    kill: (_pid: number, signal?: string | number) => {
      killed.push(String(signal));
      return true;
    },
    hasUncaughtExceptionCaptureCallback: () => false,
  }) as unknown as ExitProcess & EventEmitter;
  return { proc, killed };
}

function fakeTelemetry(opts: { hang?: boolean } = {}) {
  const calls: string[] = [];
  const telemetry: ExitTelemetry = {
    boundMs: 30,
    shutdown: () => {
      calls.push('shutdown');
      return opts.hang ? new Promise<void>(() => {}) : Promise.resolve();
    },
    forceFlush: () => {
      calls.push('forceFlush');
      return Promise.resolve();
    },
  };
  return { telemetry, calls };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('flushOnExit', () => {
  it('beforeExit: one shutdown, however often the loop empties again', async () => {
    const { proc } = fakeProcess();
    const { telemetry, calls } = fakeTelemetry();
    flushOnExit(telemetry, proc);
    proc.emit('beforeExit', 0);
    proc.emit('beforeExit', 0);
    expect(calls).toEqual(['shutdown']);
  });

  it('SIGTERM nobody else handles: shutdown, then the same signal again', async () => {
    const { proc, killed } = fakeProcess();
    const { telemetry, calls } = fakeTelemetry();
    flushOnExit(telemetry, proc);
    proc.emit('SIGTERM', 'SIGTERM');
    expect(calls).toEqual(['shutdown']);
    await until(() => killed.length > 0);
    expect(killed).toEqual(['SIGTERM']);
  });

  it('a shutdown that never settles still ends in the signal, once the bound has passed', async () => {
    const { proc, killed } = fakeProcess();
    const { telemetry } = fakeTelemetry({ hang: true });
    flushOnExit(telemetry, proc);
    proc.emit('SIGINT', 'SIGINT');
    await until(() => killed.length > 0);
    expect(killed).toEqual(['SIGINT']);
  });

  it('SIGTERM the app handles: only a flush, no shutdown, no signal sent', async () => {
    const { proc, killed } = fakeProcess();
    const { telemetry, calls } = fakeTelemetry();
    flushOnExit(telemetry, proc);
    proc.on('SIGTERM', () => {});
    proc.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(['forceFlush']);
    expect(killed).toEqual([]);
  });

  it('an uncaught exception the app handles: only a flush, and no handler of ours added', () => {
    const { proc } = fakeProcess();
    const { telemetry, calls } = fakeTelemetry();
    flushOnExit(telemetry, proc);
    proc.on('uncaughtException', () => {});
    proc.emit('uncaughtExceptionMonitor', new Error('x'), 'uncaughtException');
    expect(calls).toEqual(['forceFlush']);
    expect(proc.listenerCount('uncaughtException')).toBe(1);
  });

  it('an uncaught exception nobody handles: a handler is added for Node to find, the monitor only once', () => {
    const { proc } = fakeProcess();
    const { telemetry, calls } = fakeTelemetry();
    flushOnExit(telemetry, proc);
    proc.emit('uncaughtExceptionMonitor', new Error('x'), 'uncaughtException');
    proc.emit('uncaughtExceptionMonitor', new Error('x'), 'uncaughtException');
    expect(proc.listenerCount('uncaughtException')).toBe(1);
    expect(calls).toEqual([]);
  });
});
