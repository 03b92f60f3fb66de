import { AgentraceError, type CircuitBreakerOptions, ValidationError } from '@agentrace/core';

/** Where breaker state is shared: what the demo's breakers take as `store`. */
export type BreakerStore = NonNullable<CircuitBreakerOptions['store']>;

/** A connection to shared state: the store the breakers use, and how to let go of it. */
export interface SharedState {
  readonly store: BreakerStore;
  /** `redis://host:port` (credentials removed), for the banner. */
  readonly where: string;
  /** Closes the Redis connection. */
  close(): Promise<void>;
}

/** Thrown when `--shared-state` cannot be used: a package is missing, or Redis does not answer. */
export class SharedStateUnavailableError extends AgentraceError {
  static override readonly errorName: string = 'SharedStateUnavailableError';
  /** The Redis URL asked for (credentials removed). */
  readonly where: string;

  constructor(where: string, why: string, cause?: unknown) {
    super(`--shared-state ${where}: ${why}`, cause === undefined ? undefined : { cause });
    this.where = where;
  }
}

// The shapes the demo uses of `@agentrace/redis` and `ioredis`, which it loads only when asked to share state.
interface RedisStoreModule {
  RedisStateStore: new (options: {
    client: unknown;
    prefix?: string;
    commandTimeoutMs?: number;
  }) => BreakerStore;
}
interface IoRedisClient {
  on(event: 'error', listener: (err: Error) => void): unknown;
  connect(): Promise<void>;
  call(command: string, ...args: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}
interface IoRedisModule {
  Redis: new (
    url: string,
    options: { enableOfflineQueue: boolean; lazyConnect: boolean; maxRetriesPerRequest: number },
  ) => IoRedisClient;
}

/** Loads an optional package by name; a variable specifier keeps TypeScript from requiring it at build time. */
async function load<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Connects the demo's breakers to Redis through `@agentrace/redis` (with an `ioredis` client), so several demo
 * processes share one circuit per simulated provider: one process's failures open it for all of them.
 *
 * @example
 * ```ts
 * const shared = await connectSharedState('redis://localhost:6379');
 * try { await runDemo({ breakerStore: shared.store }); } finally { await shared.close(); }
 * ```
 * @throws {ValidationError} `url` is not a redis:// or rediss:// URL.
 * @throws {SharedStateUnavailableError} `@agentrace/redis` or `ioredis` is not installed, or Redis does not answer.
 */
export async function connectSharedState(
  url: string,
  opts: { prefix?: string; loader?: <T>(name: string) => Promise<T> } = {},
): Promise<SharedState> {
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) {
    throw new ValidationError({ field: 'url', value: url, expected: 'a redis:// or rediss:// URL' });
  }
  const where = redactUrl(url);
  const loader = opts.loader ?? load;
  let redis: RedisStoreModule;
  let ioredis: IoRedisModule;
  try {
    [redis, ioredis] = await Promise.all([
      loader<RedisStoreModule>('@agentrace/redis'),
      loader<IoRedisModule>('ioredis'),
    ]);
  } catch (err) {
    const missing = (err as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND';
    throw new SharedStateUnavailableError(
      where,
      missing
        ? 'needs the packages @agentrace/redis and ioredis in examples/package.json ' +
            '("@agentrace/redis": "workspace:*", "ioredis": "^5 || ^6"), then pnpm install'
        : `could not load @agentrace/redis or ioredis: ${(err as Error)?.message ?? String(err)}`,
      err,
    );
  }
  // No offline queue: while Redis is away a command fails at once and the breakers fall back to local state.
  const client = new ioredis.Redis(url, {
    enableOfflineQueue: false,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  // Connection errors surface as failed commands, which the breakers handle (falling back to local state); without
  // a listener ioredis would also print each one.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.call('PING');
  } catch (err) {
    client.disconnect();
    throw new SharedStateUnavailableError(
      where,
      'Redis does not answer (is the stack up? docker compose up -d)',
      err,
    );
  }
  return {
    store: new redis.RedisStateStore({
      client,
      prefix: opts.prefix ?? 'agentrace-demo',
      commandTimeoutMs: 500,
    }),
    where,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
