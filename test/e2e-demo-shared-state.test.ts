/**
 * The demo's `--shared-state` switch: the breakers of a demo run kept on a real `redis-server` through
 * `@agentrace/redis`, so a second breaker of the same name (another process's view of the fleet) sees the circuit
 * the demo opened. Also the switch's failures: a missing package and a Redis that does not answer are reported
 * with what to do, never as a crash.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { CircuitBreaker, type CircuitStateChange, ValidationError } from '@agentrace/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../examples/demo/cli.js';
import { runDemo } from '../examples/demo/run-demo.js';
import {
  connectSharedState,
  redactUrl,
  type SharedState,
  SharedStateUnavailableError,
} from '../examples/demo/shared-state.js';
import { freePort } from './helpers/prometheus.js';
import { type RedisServer, startRedisServer } from './helpers/redis-server.js';

// ioredis as @agentrace/redis resolves it (the examples workspace may not list it yet).
const fromRedisPackage = createRequire(new URL('../packages/redis/package.json', import.meta.url));

/** Loads `@agentrace/redis` from its sources (as vitest aliases the other packages) and a real `ioredis`. */
async function realLoader<T>(name: string): Promise<T> {
  if (name === '@agentrace/redis') return (await import('../packages/redis/src/index.js')) as T;
  return (await import(pathToFileURL(fromRedisPackage.resolve(name)).href)) as T;
}

/** Why the real round trip cannot run yet, or undefined when it can. */
async function sharedStateBlocker(): Promise<string | undefined> {
  try {
    const { RedisStateStore } =
      await realLoader<typeof import('../packages/redis/src/index.js')>('@agentrace/redis');
    await realLoader('ioredis');
    // Constructing one exercises the core exports it is built on.
    new RedisStateStore({ client: { command: async () => null } });
    return undefined;
  } catch (err) {
    return `@agentrace/redis does not load yet: ${(err as Error).message}`;
  }
}

let redis: RedisServer | undefined;
afterAll(async () => {
  await redis?.close();
});

describe('--shared-state', () => {
  it('refuses a URL that is not redis://, by name', async () => {
    const err = await connectSharedState('http://localhost:6379').catch((e: unknown) => e);
    expect(ValidationError.isInstance(err) && err.field).toBe('url');
  });

  it('says which packages to add when they are not installed', async () => {
    const err = await connectSharedState('redis://user:secret@localhost:6379', {
      loader: (name) => import(`${name}-not-installed-anywhere`),
    }).catch((e: unknown) => e);
    expect(SharedStateUnavailableError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain('needs the packages @agentrace/redis and ioredis');
    expect((err as Error).message).not.toContain('secret');
    expect((err as SharedStateUnavailableError).where).toBe('redis://user:***@localhost:6379');
  });

  it('reports a package that fails to load with its reason', async () => {
    const err = await connectSharedState('redis://localhost:6379', {
      loader: () => Promise.reject(new SyntaxError('does not provide an export named X')),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('could not load @agentrace/redis or ioredis: does not provide');
  });

  it('says the stack is not up when Redis does not answer (real ioredis, nothing listening)', async () => {
    const port = await freePort();
    const err = await connectSharedState(`redis://127.0.0.1:${port}`, {
      loader: async <T>(name: string) =>
        (name === 'ioredis' ? await realLoader(name) : { RedisStateStore: class {} }) as T,
    }).catch((e: unknown) => e);
    expect(SharedStateUnavailableError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain('Redis does not answer');
  });

  it('exits 1 from the command line with the reason', async () => {
    let stderr = '';
    const code = await runCli(['--shared-state', 'redis://127.0.0.1:1'], {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      },
      env: {},
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/--shared-state redis:\/\/127\.0\.0\.1:1: /);
  });

  it('keeps URLs without a password as they are', () => {
    expect(redactUrl('redis://localhost:6379')).toBe('redis://localhost:6379');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('shares the demo breakers through a real redis-server: another breaker of the fleet sees them open', async (ctx) => {
    const blocker = await sharedStateBlocker();
    // TODO(#8): runs once @agentrace/core exports the state-store API @agentrace/redis is built on.
    if (blocker) ctx.skip(blocker);
    redis = await startRedisServer();
    const shared: SharedState = await connectSharedState(redis.url, {
      loader: realLoader,
      prefix: 'demo-test',
    });
    const peer = new CircuitBreaker({
      name: 'simulated.openai',
      store: shared.store,
      failureThreshold: 2,
      recoveryTimeoutMs: 300,
      syncIntervalMs: 50,
    });
    const seen: CircuitStateChange[] = [];
    peer.onStateChange((c) => seen.push(c));
    try {
      let text = '';
      const result = await runDemo({
        env: {},
        breakerStore: shared.store,
        output: {
          write: (s: string) => {
            text += s;
            return true;
          },
        },
      });
      expect(text).toContain('Circuit breakers: shared through a redis state store');
      expect(result.transitions.find((t) => t.to === 'open')).toMatchObject({ breaker: 'simulated.openai' });
      await peer.sync();
      expect(seen.find((c) => c.to === 'open')).toMatchObject({ shared: true, origin: 'remote' });
    } finally {
      peer.close();
      await shared.close();
    }
  }, 30_000);
});
