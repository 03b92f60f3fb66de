import { ValidationError } from '@agentrace/core';
import type { DemoOptions } from './run-demo.js';

/** What the command line asked for. */
export interface DemoArgs {
  /** Options for `runDemo` (seed, runs, prometheus, scrapeTimeoutMs). */
  readonly options: DemoOptions;
  /** `--stack`: run against the docker-compose stack on localhost. */
  readonly stack: boolean;
  /** `--shared-state <redis-url>`: share breaker state through Redis. */
  readonly sharedState: string | undefined;
  /** `--help`. */
  readonly help: boolean;
}

/** Rounds `--stack` runs when `--runs` is not given: enough for the dashboard's rates to show a trend. */
export const STACK_DEFAULT_RUNS = 5;

/** The usage text of `pnpm demo`. */
export const USAGE = `Usage: pnpm demo [-- options]

A researcher → writer → editor workflow against SIMULATED model providers (no API key, no network), with
injected faults, traced and measured by agentrace.

Options:
  --seed <n>             fix every random choice of the run (default 42); same seed, same run
  --runs <n>             rounds of the workflow in one process (default 1; 5 with --stack)
  --stack                run against the docker-compose stack: traces and metrics over OTLP to its
                         OpenTelemetry Collector (http://localhost:4318; start it with: docker compose up -d)
  --prometheus-port <n>  serve Prometheus metrics on this port and wait for a scrape after each round
  --scrape-timeout <ms>  how long a round waits for that scrape (default 30000)
  --shared-state <url>   share the circuit breakers' state through Redis (e.g. redis://localhost:6379)
  -h, --help             this text

Environment: OTEL_EXPORTER_OTLP_ENDPOINT exports traces and metrics over OTLP (http/protobuf unless
OTEL_EXPORTER_OTLP_PROTOCOL says http/json or grpc); OTEL_SERVICE_NAME names the service (default agentrace-demo);
every other OTEL_* variable of @agentrace/otel-exporter applies.`;

function integer(flag: string, raw: string | undefined, min: number, max: number): number {
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError({ field: flag, value: raw, expected: `an integer from ${min} to ${max}` });
  }
  return value;
}

/**
 * Parses the demo's command line (`--flag value` or `--flag=value`).
 *
 * @throws {ValidationError} an unknown flag, a missing value or a bad number (the flag is named).
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const options: DemoOptions = {};
  let stack = false;
  let help = false;
  let sharedState: string | undefined;
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // pnpm passes a lone `--` through when the user writes `pnpm demo -- --seed 7`.
    if (arg === '--') continue;
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--seed':
        options.seed = integer('--seed', value(), 0, Number.MAX_SAFE_INTEGER);
        break;
      case '--runs':
        options.runs = integer('--runs', value(), 1, 1000);
        runsGiven = true;
        break;
      case '--prometheus-port':
        options.prometheus = { port: integer('--prometheus-port', value(), 0, 65535) };
        break;
      case '--scrape-timeout':
        options.scrapeTimeoutMs = integer('--scrape-timeout', value(), 1, 600_000);
        break;
      case '--stack':
        stack = true;
        break;
      case '--shared-state': {
        const url = value();
        if (url === undefined || !/^rediss?:\/\/./.test(url)) {
          throw new ValidationError({
            field: '--shared-state',
            value: url,
            expected: 'a redis:// or rediss:// URL',
          });
        }
        sharedState = url;
        break;
      }
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        throw new ValidationError({
          field: 'argument',
          value: arg,
          expected: 'one of the options of --help',
        });
    }
  }
  if (stack && !runsGiven) options.runs = STACK_DEFAULT_RUNS;
  return { options, stack, sharedState, help };
}
