import {
  type ContentAccumulator,
  captureOutput,
  createContentAccumulator,
} from '../adapters/message-content.js';
import type { TurnTelemetry } from '../telemetry/turn-telemetry.js';

// A turn's output content: read from its result (OpenAI, Anthropic, Gemini, AI SDK shapes), or built from the
// chunks of a streamed one. Only called when content capture is on.

/** Records the output messages of a completed turn's result, when its shape is known. */
export function recordOutputContent(turn: TurnTelemetry, result: unknown): void {
  const outputMessages = captureOutput(result);
  if (outputMessages.length > 0) turn.recordContent({ outputMessages });
}

/** An accumulator of a streamed turn's output, and the call that records what it built when the stream ends. */
export function streamOutputContent(turn: TurnTelemetry): {
  readonly accumulator: ContentAccumulator;
  record(): void;
} {
  const accumulator = createContentAccumulator();
  return {
    accumulator,
    record() {
      const outputMessages = accumulator.messages();
      if (outputMessages.length > 0) turn.recordContent({ outputMessages });
    },
  };
}
