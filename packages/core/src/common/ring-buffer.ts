import { ValidationError } from '@agentrace/pricing';

/**
 * A fixed-capacity circular buffer keeping the newest items: inserting is O(1), and once full each insert
 * overwrites the oldest item. Backs the ring-buffer sinks.
 *
 * @example
 * ```ts
 * const ring = new RingBuffer<number>(2);
 * ring.push(1); ring.push(2); ring.push(3);
 * ring.toArray(); // [2, 3]
 * ```
 */
export class RingBuffer<T> {
  /** Most items kept. */
  readonly capacity: number;
  // Grows up to `capacity` and is then reused in place, so a large capacity costs nothing until filled.
  #items: T[] = [];
  // Index of the oldest item once the buffer is full.
  #head = 0;

  /**
   * @throws {ValidationError} when `capacity` is not a positive safe integer (`field: 'capacity'`).
   */
  constructor(capacity: number) {
    if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 1) {
      throw new ValidationError({ field: 'capacity', value: capacity, expected: 'a positive safe integer' });
    }
    this.capacity = capacity;
  }

  /** Items held (at most `capacity`). */
  get size(): number {
    return this.#items.length;
  }

  /** Adds `item` as the newest, dropping the oldest when full. */
  push(item: T): void {
    if (this.#items.length < this.capacity) {
      this.#items.push(item);
      return;
    }
    this.#items[this.#head] = item;
    this.#head = (this.#head + 1) % this.capacity;
  }

  /** The items, oldest first (a copy). */
  toArray(): T[] {
    return [...this.#items.slice(this.#head), ...this.#items.slice(0, this.#head)];
  }

  /** Drops every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
