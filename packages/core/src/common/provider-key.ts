/**
 * Provider key used for calls that name no provider: the breaker set and the rate limiter both key their
 * per-provider state by it.
 */
export const DEFAULT_PROVIDER_KEY = 'default';
