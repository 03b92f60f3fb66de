// @agentrace/redis — public API. This file only re-exports.

export type {
  IoRedisLikeClient,
  NodeRedisLikeClient,
  RedisClientLike,
  RedisCommandClient,
} from './redis-client.js';
export { toCommandClient } from './redis-client.js';
export type { RedisStateStoreOptions } from './redis-state-store.js';
export { RedisStateStore } from './redis-state-store.js';
