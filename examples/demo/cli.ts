import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '@agentrace/core';
import { type TelemetryEnv, type TerminalOutput, UnsupportedProtocolError } from '@agentrace/otel-exporter';
import { parseDemoArgs, USAGE } from './cli-args.js';
import { runDemo } from './run-demo.js';
import { connectSharedState, type SharedState, SharedStateUnavailableError } from './shared-state.js';
import { STACK_OTLP_ENDPOINT, STACK_ROUND_PAUSE_MS, stackEnv, waitForCollector } from './stack.js';

/** Where the command line reads and writes (the process's own streams and environment in `main.ts`). */
export interface CliIO {
  readonly stdout: TerminalOutput;
  readonly stderr: TerminalOutput;
  readonly env: TelemetryEnv;
  /** Stops the run (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** How long `--stack` waits for the collector to accept connections (ms, default 60 000). */
  readonly collectorTimeoutMs?: number;
}

/**
 * The demo's command line: parses `argv` (without node and the script), runs the demo, and resolves with the exit
 * code: 0 when the run showed everything it promises, 1 when it did not (or the stack is not up), 2 for a usage
 * error.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let args: ReturnType<typeof parseDemoArgs>;
  try {
    args = parseDemoArgs(argv);
  } catch (err) {
    if (!ValidationError.isInstance(err)) throw err;
    io.stderr.write(`agentrace demo: ${err.message}\n(pnpm demo --help lists the options)\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let env = io.env;
  if (args.stack) {
    env = stackEnv(io.env);
    const url =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? STACK_OTLP_ENDPOINT;
    io.stdout.write(`waiting for the collector at ${url} …\n`);
    const up = await waitForCollector(url, {
      timeoutMs: io.collectorTimeoutMs ?? 60_000,
      ...(io.signal && { signal: io.signal }),
    });
    if (!up) {
      io.stderr.write(
        `agentrace demo: nothing accepts connections at ${url}; start the stack first: docker compose up -d\n`,
      );
      return 1;
    }
  }
  let shared: SharedState | undefined;
  if (args.sharedState !== undefined) {
    try {
      shared = await connectSharedState(args.sharedState);
    } catch (err) {
      if (!SharedStateUnavailableError.isInstance(err)) throw err;
      io.stderr.write(`agentrace demo: ${err.message}\n`);
      return 1;
    }
  }
  try {
    const result = await runDemo({
      ...args.options,
      env,
      output: io.stdout,
      ...(io.signal && { signal: io.signal }),
      ...(shared && { breakerStore: shared.store }),
      // The stack's Prometheus scrapes the Collector every 5 s: pause so it sees each round, not just the totals.
      ...(args.stack && {
        betweenRounds: async () => {
          io.stdout.write(`  (pausing ${STACK_ROUND_PAUSE_MS / 1000} s so Prometheus scrapes this round)\n`);
          await sleep(STACK_ROUND_PAUSE_MS, undefined, io.signal ? { signal: io.signal } : {});
        },
      }),
    });
    // The demo checks itself: a promised highlight that did not happen is a bug worth a failing exit code.
    return result.highlights.every((h) => h.shown) ? 0 : 1;
  } catch (err) {
    // A configuration the telemetry refuses (an unknown OTEL_EXPORTER_OTLP_PROTOCOL) is a usage error too.
    if (!UnsupportedProtocolError.isInstance(err)) throw err;
    io.stderr.write(`agentrace demo: ${err.message}\n`);
    return 2;
  } finally {
    await shared?.close();
  }
}
