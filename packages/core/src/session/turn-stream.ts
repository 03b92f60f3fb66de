/** How a streamed turn ended. */
export type StreamOutcome = 'completed' | 'abandoned' | 'failed' | 'cancelled';

/** Callbacks of {@link observeStream}; `onEnd` and `onError` are called at most once between them. */
export interface StreamObserver {
  onChunk(chunk: unknown): void;
  /** The stream ended (`completed`) or the consumer stopped early (`abandoned`: `break`, `return()`, `cancel()`). */
  onEnd(outcome: 'completed' | 'abandoned'): void;
  onError(err: unknown): void;
}

/**
 * Whether a turn's result is a stream agentrace observes: a `ReadableStream`, a client's event-emitting stream
 * helper, or an async iterable that is not a string.
 */
export function isStreamResult(value: unknown): value is AsyncIterable<unknown> | ReadableStream<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    if (isReadable(value) || isEventStreamHelper(value)) return true;
    return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
  } catch {
    // A result whose property access throws (a strict proxy, a throwing getter) is not a stream we can observe.
    return false;
  }
}

/** The guarded callbacks one observed stream shares across every view of it (iterator, tee, readable). */
interface Once {
  chunk(chunk: unknown): void;
  end(outcome: 'completed' | 'abandoned'): void;
  error(err: unknown): void;
}

/**
 * Passes a stream through chunk by chunk, without buffering, telling `observer` about every chunk and how it
 * ended.
 *
 * - A `ReadableStream` becomes a new `ReadableStream` pulling from the original on demand.
 * - A client's stream helper that emits events (`@anthropic-ai/sdk`'s `MessageStream`, `openai`'s
 *   `ChatCompletionStream`: an `on()` method and a `final…()` method) is observed through its events, however it
 *   is consumed (iterated, `.on('text')`, `finalMessage()`), and returned as it is.
 * - Any other async iterable is returned as a proxy of the same object (its other members keep working) whose
 *   iterator is observed; `toReadableStream()` and `tee()` (`openai`'s `Stream`) hand out observed streams too.
 */
export function observeStream<T>(stream: T, observer: StreamObserver): T {
  let settled = false;
  const once: Once = {
    chunk: (chunk) => {
      if (!settled) observer.onChunk(chunk);
    },
    end: (outcome) => {
      if (settled) return;
      settled = true;
      observer.onEnd(outcome);
    },
    error: (err) => {
      if (settled) return;
      settled = true;
      observer.onError(err);
    },
  };
  if (isReadable(stream)) return observeReadable(stream, once) as T;
  if (isEventStreamHelper(stream)) {
    observeEvents(stream, once);
    return stream;
  }
  return proxyIterable(stream as unknown as AsyncIterable<unknown>, once) as T;
}

function isReadable(value: unknown): value is ReadableStream<unknown> {
  return typeof ReadableStream !== 'undefined' && value instanceof ReadableStream;
}

interface EventStreamHelper {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

const FINAL_METHODS = ['finalMessage', 'finalChatCompletion', 'finalResponse'] as const;

function isEventStreamHelper(value: unknown): value is EventStreamHelper {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.on === 'function' && FINAL_METHODS.some((m) => typeof v[m] === 'function');
}

/** Chunk events of the client helpers: Anthropic `streamEvent`, OpenAI `chunk` (chat) and `event` (responses). */
function observeEvents(helper: EventStreamHelper, once: Once): void {
  helper.on('streamEvent', (event) => once.chunk(event));
  helper.on('chunk', (chunk) => once.chunk(chunk));
  helper.on('event', (event) => once.chunk(event));
  helper.on('end', () => once.end('completed'));
  helper.on('error', (err) => once.error(err));
  helper.on('abort', (err) => once.error(err));
}

function observeReadable(source: ReadableStream<unknown>, once: Once): ReadableStream<unknown> {
  const reader = source.getReader();
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
  );
}

function proxyIterable(source: AsyncIterable<unknown>, once: Once): AsyncIterable<unknown> {
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
      if (typeof value !== 'function') return value;
      // openai's Stream: these read the stream through the original object, not through this proxy.
      if (prop === 'toReadableStream') {
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          return isReadable(out) ? observeReadable(out, once) : out;
        };
      }
      if (prop === 'tee') {
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          if (!Array.isArray(out) || out.length !== 2) return out;
          // Both halves see every chunk; observing one counts each chunk once.
          return [proxyIterable(out[0] as AsyncIterable<unknown>, once), out[1]];
        };
      }
      // Methods run against the original object (class private fields live there, not on the proxy).
      return value.bind(target);
    },
  }) as AsyncIterable<unknown>;
}
