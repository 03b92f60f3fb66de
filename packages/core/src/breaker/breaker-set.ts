import { ValidationError } from '@agentrace/pricing';
import { Emitter, type Listener } from '../common/listeners.js';
import { DEFAULT_PROVIDER_KEY } from '../common/provider-key.js';
import { CircuitBreaker } from './circuit-breaker.js';

/**
 * Where a session's breakers come from: one breaker for every call, one per provider (a map keyed by
 * `gen_ai.provider.name`), or a factory that makes a provider's breaker on first use.
 */
export type BreakerSource =
  | CircuitBreaker
  | Readonly<Record<string, CircuitBreaker>>
  | ((provider: string) => CircuitBreaker);

/**
 * Resolves the breaker guarding a provider. A single breaker guards every provider; with a map, a provider
 * missing from it has no breaker; a factory is called once per provider and its breaker kept.
 */
export class BreakerSet {
  readonly #single: CircuitBreaker | undefined;
  readonly #byProvider = new Map<string, CircuitBreaker | undefined>();
  readonly #factory: ((provider: string) => CircuitBreaker) | undefined;
  readonly #created = new Emitter<CircuitBreaker>();

  /** Fires once for every breaker the set starts using (including the ones known up front). */
  readonly onBreaker: Listener<CircuitBreaker> = this.#created.event;

  /** @throws {ValidationError} `circuitBreaker` is not a breaker, a map of breakers or a factory. */
  constructor(source: BreakerSource | undefined) {
    if (source === undefined) return;
    if (source instanceof CircuitBreaker) this.#single = source;
    else if (typeof source === 'function') this.#factory = source;
    else if (typeof source === 'object' && source !== null) {
      for (const [provider, breaker] of Object.entries(source)) {
        if (!(breaker instanceof CircuitBreaker)) {
          throw new ValidationError({
            field: `circuitBreaker.${provider}`,
            value: breaker,
            expected: 'a CircuitBreaker',
          });
        }
        this.#byProvider.set(provider, breaker);
      }
    } else {
      throw new ValidationError({
        field: 'circuitBreaker',
        value: source,
        expected: 'a CircuitBreaker, a map of provider → CircuitBreaker, or a factory function',
      });
    }
  }

  /** Whether any breaker is configured. */
  get configured(): boolean {
    return this.#single !== undefined || this.#factory !== undefined || this.#byProvider.size > 0;
  }

  /** Every breaker in use so far. */
  all(): CircuitBreaker[] {
    const out = new Set<CircuitBreaker>();
    if (this.#single) out.add(this.#single);
    for (const b of this.#byProvider.values()) if (b) out.add(b);
    return [...out];
  }

  /**
   * The breaker guarding `provider`, or undefined when none does.
   *
   * @throws {ValidationError} the factory returned something that is not a CircuitBreaker.
   */
  for(provider: string | undefined): CircuitBreaker | undefined {
    if (this.#single) return this.#single;
    const key = provider ?? DEFAULT_PROVIDER_KEY;
    if (this.#byProvider.has(key)) return this.#byProvider.get(key);
    if (!this.#factory) return undefined;
    const made = this.#factory(key);
    if (!(made instanceof CircuitBreaker)) {
      throw new ValidationError({
        field: 'circuitBreaker()',
        value: made,
        expected: 'the factory to return a CircuitBreaker',
      });
    }
    this.#byProvider.set(key, made);
    this.#created.emit(made);
    return made;
  }
}
