/** How a streamed turn ended. */
export type StreamOutcome = 'completed' | 'abandoned' | 'failed' | 'cancelled';

/** Callbacks of {@link observeStream}; `onEnd` and `onError` are called at most once between them. */
export interface StreamObserver {
  onChunk(chunk: unknown): void;
  /** The stream ended (`completed`) or the consumer stopped early (`abandoned`: `break`, `return()`, `cancel()`). */
  onEnd(outcome: 'completed' | 'abandoned'): void;
  onError(err: unknown): void;
}

/** Whether a turn's result is a stream agentrace observes: a `ReadableStream`, or an async iterable that is not a string. */
export function isStreamResult(value: unknown): value is AsyncIterable<unknown> | ReadableStream<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream) return true;
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Passes a stream through chunk by chunk, without buffering, telling `observer` about every chunk and how it
 * ended. A `ReadableStream` becomes a new `ReadableStream` pulling from the original on demand; any other async
 * iterable is returned as a proxy of the same object (its other members — `controller`, `finalMessage()`, … — keep
 * working) whose iterator is observed.
 */
export function observeStream<T>(stream: T, observer: StreamObserver): T {
  let settled = false;
  const once = {
    chunk: (chunk: unknown) => {
      if (!settled) observer.onChunk(chunk);
    },
    end: (outcome: 'completed' | 'abandoned') => {
      if (settled) return;
      settled = true;
      observer.onEnd(outcome);
    },
    error: (err: unknown) => {
      if (settled) return;
      settled = true;
      observer.onError(err);
    },
  };
  if (typeof ReadableStream !== 'undefined' && stream instanceof ReadableStream) {
    const reader = (stream as ReadableStream<unknown>).getReader();
    return new ReadableStream<unknown>(
      {
        async pull(controller) {
          let next: Awaited<ReturnType<ReadableStreamDefaultReader<unknown>['read']>>;
          try {
            next = await reader.read();
          } catch (err) {
            once.error(err);
            controller.error(err);
            return;
          }
          if (next.done) {
            once.end('completed');
            controller.close();
            return;
          }
          once.chunk(next.value);
          controller.enqueue(next.value);
        },
        cancel(reason) {
          once.end('abandoned');
          return reader.cancel(reason);
        },
      },
      // Pull only when the consumer asks: nothing is buffered ahead of it.
      { highWaterMark: 0 },
    ) as T;
  }
  const source = stream as unknown as AsyncIterable<unknown>;
  const iterate = (): AsyncIterator<unknown> => {
    const it = source[Symbol.asyncIterator]();
    return {
      async next(...args: [] | [unknown]) {
        let step: IteratorResult<unknown>;
        try {
          step = await it.next(...args);
        } catch (err) {
          once.error(err);
          throw err;
        }
        if (step.done) once.end('completed');
        else once.chunk(step.value);
        return step;
      },
      async return(value?: unknown) {
        once.end('abandoned');
        return it.return ? it.return(value) : { done: true, value };
      },
      async throw(err?: unknown) {
        once.error(err);
        if (it.throw) return it.throw(err);
        throw err;
      },
    };
  };
  return new Proxy(source as object, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) return iterate;
      const value = Reflect.get(target, prop, target);
      // Methods run against the original object (class private fields live there, not on the proxy).
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as T;
}
