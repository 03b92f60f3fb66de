/** The ecosystem's switch for recording prompts, completions and tool arguments on spans. */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/**
 * Whether message content may be recorded, from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
 *
 * `true`, `span_only` and `span_and_event` enable it (agentrace records content on spans only); anything else,
 * including `event_only` and an unset variable, leaves it off. Content is never recorded by default.
 */
export function captureContentFromEnv(env: Record<string, string | undefined> = readEnv()): boolean {
  const value = env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase();
  return value === 'true' || value === '1' || value === 'span_only' || value === 'span_and_event';
}

function readEnv(): Record<string, string | undefined> {
  return typeof process === 'undefined' ? {} : process.env;
}
