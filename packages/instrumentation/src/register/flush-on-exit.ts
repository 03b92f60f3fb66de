/** What {@link flushOnExit} flushes: the register entry's telemetry, owned or borrowed. */
export interface ExitTelemetry {
  /** Flushes and stops what agentrace set up; only flushes providers it did not. Must not reject. */
  shutdown(): Promise<void>;
  /** Exports what is recorded so far and keeps everything running. Must not reject. */
  forceFlush(): Promise<void>;
  /** Longest time a flush may hold an exit (ms). */
  readonly boundMs: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The part of `process` {@link flushOnExit} hooks (a stand-in in unit tests). */
export type ExitProcess = Pick<
  NodeJS.Process,
  'once' | 'on' | 'listenerCount' | 'kill' | 'pid' | 'hasUncaughtExceptionCaptureCallback'
>;

function bounded(work: () => Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // Unref'd: the wait itself never keeps a process alive that has nothing else to do.
    const timer = setTimeout(resolve, ms);
    timer.unref();
    try {
      work().then(
        () => resolve(),
        () => resolve(),
      );
    } catch {
      resolve();
    }
  });
}

/**
 * Runs `then` once `work` settles or `ms` pass, whichever is first, from a macrotask (so a throw there is an
 * uncaught exception, not a rejection). Until then a ref'd timer keeps the process alive: had its event loop
 * emptied during the flush, it would exit 0 instead of by the signal or the error it was ending with.
 */
function holdFor(work: Promise<void>, ms: number, then: () => void): void {
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(hold);
    setImmediate(then);
  };
  const hold = setTimeout(finish, ms);
  work.then(finish, finish);
}

function unhandledRejectionsThrow(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const i = args.findIndex((a) => a.startsWith('--unhandled-rejections'));
  if (i === -1) return true;
  const mode = args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
  return mode === 'throw' || mode === 'strict';
}

/**
 * Gives `err` back to Node as the uncaught error it was. An Error goes back as an unhandled rejection when Node
 * will treat that as fatal (no `unhandledRejection` listener, the default mode): Node then prints the source line
 * of the error's own first frame above the stack, as it did the first time, where a plain rethrow would print
 * this file's `throw`. Anything else is thrown again as it is. Either way: the same stack, exit code 1.
 */
function raiseAgain(err: unknown): void {
  if (
    err instanceof Error &&
    process.listenerCount('unhandledRejection') === 0 &&
    unhandledRejectionsThrow()
  ) {
    void Promise.reject(err);
    return;
  }
  throw err;
}

/**
 * Flushes telemetry when the process ends, without changing how it ends:
 * - out of work (`beforeExit`): shutdown; the exit code stays whatever the app set;
 * - `SIGTERM` / `SIGINT` nobody else handles: shutdown within the bound, then the same signal again, so the
 *   process dies by it as it would have; when the app handles the signal, it keeps control and telemetry keeps
 *   recording (its drain may still make calls): only a flush;
 * - an uncaught exception nobody handles: Node would print it and exit 1 at once, before any export could go
 *   out, so the exit is held for the bounded shutdown and the same error is then thrown again, for Node to print
 *   and exit with as before. With an app handler (or a capture callback), only a flush: the app decides.
 */
export function flushOnExit(telemetry: ExitTelemetry, proc: ExitProcess = process): void {
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= bounded(() => telemetry.shutdown(), telemetry.boundMs);
    return stopping;
  };
  const flush = (): Promise<void> => bounded(() => telemetry.forceFlush(), telemetry.boundMs);

  proc.once('beforeExit', () => void shutdown());

  for (const signal of SIGNALS) {
    proc.once(signal, () => {
      // `once` has removed this listener: any left are the app's.
      if (proc.listenerCount(signal) > 0) {
        void flush();
        return;
      }
      holdFor(shutdown(), telemetry.boundMs, () => {
        if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
      });
    });
  }

  let seen = false;
  proc.on('uncaughtExceptionMonitor', () => {
    // The error thrown again below comes through here a second time: it must then take Node's default path.
    if (seen) return;
    seen = true;
    if (proc.listenerCount('uncaughtException') > 0 || proc.hasUncaughtExceptionCaptureCallback()) {
      void flush();
      return;
    }
    // Added now, so Node finds a handler when it emits `uncaughtException` right after this monitor.
    proc.once('uncaughtException', (err: unknown) => {
      holdFor(shutdown(), telemetry.boundMs, () => raiseAgain(err));
    });
  });
}
