import { ValidationError } from '@agentrace/core';

/** An `ioredis` client (`new Redis(...)`), as far as the store uses it. */
export interface IoRedisLikeClient {
  call(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>;
}

/** A `redis` (node-redis) client (`createClient(...)`, connected), as far as the store uses it. */
export interface NodeRedisLikeClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Anything that can send one Redis command and resolve with its reply. */
export interface RedisCommandClient {
  /** Sends `args` (the command name first) and resolves with the reply, or rejects with the error. */
  command(args: string[]): Promise<unknown>;
}

/** The clients `RedisStateStore` accepts. */
export type RedisClientLike = IoRedisLikeClient | NodeRedisLikeClient | RedisCommandClient;

/**
 * Wraps an `ioredis` client, a `redis` (node-redis) client or a {@link RedisCommandClient} in the one call the
 * store needs. ioredis is recognised by its `call` method, node-redis by `sendCommand(args)` (a node-redis cluster
 * client, whose `sendCommand` takes a routing key first, is not supported).
 *
 * @throws {ValidationError} naming `client` when it is none of these.
 */
export function toCommandClient(client: RedisClientLike): RedisCommandClient {
  // ioredis and node-redis both also have a `command` method (Redis's COMMAND), so they are recognised first.
  if (typeof client === 'object' && client !== null) {
    if (typeof (client as IoRedisLikeClient).call === 'function') {
      const io = client as IoRedisLikeClient;
      return { command: ([name, ...args]) => io.call(name as string, ...args) };
    }
    if (typeof (client as NodeRedisLikeClient).sendCommand === 'function') {
      const node = client as NodeRedisLikeClient;
      return { command: (args) => node.sendCommand(args) };
    }
    if (typeof (client as RedisCommandClient).command === 'function') return client as RedisCommandClient;
  }
  throw new ValidationError({
    field: 'client',
    value: client,
    expected: 'an ioredis client, a node-redis client, or an object with command(args)',
  });
}
