import { ValidationError } from '@agentrace/pricing';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function optionalText(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new ValidationError({ field, value, expected: 'a non-empty string' });
  }
}

function optionalSignal(field: string, value: unknown): void {
  if (value === undefined) return;
  // Duck-typed: a signal from another realm or polyfill is still a signal.
  if (
    !isObject(value) ||
    typeof value.aborted !== 'boolean' ||
    typeof value.addEventListener !== 'function'
  ) {
    throw new ValidationError({ field, value, expected: 'an AbortSignal' });
  }
}

/**
 * @internal Checks the shape of `runTurn`'s options before anything is recorded, so a wrong type is a
 * {@link ValidationError} naming the option rather than a TypeError from deep inside (or a span whose model is
 * `[object Object]`). Values (token counts, policies) are checked where they are used.
 */
export function validateRunTurnOptions(opts: unknown): void {
  if (!isObject(opts))
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  optionalText('model', opts.model);
  optionalText('provider', opts.provider);
  optionalText('operation', opts.operation);
  optionalSignal('signal', opts.signal);
  const { attributes, usage, estimateUsage, recovery, expectedUsage, stream } = opts;
  if (attributes !== undefined && (!isObject(attributes) || Array.isArray(attributes))) {
    throw new ValidationError({ field: 'attributes', value: attributes, expected: 'an attributes object' });
  }
  if (usage !== undefined && usage !== 'auto' && !isObject(usage)) {
    throw new ValidationError({ field: 'usage', value: usage, expected: "a usage object or 'auto'" });
  }
  if (estimateUsage !== undefined && typeof estimateUsage !== 'function') {
    throw new ValidationError({ field: 'estimateUsage', value: estimateUsage, expected: 'a function' });
  }
  if (recovery !== undefined && recovery !== false && !isObject(recovery)) {
    throw new ValidationError({ field: 'recovery', value: recovery, expected: 'a RecoveryPolicy or false' });
  }
  if (expectedUsage !== undefined && !isObject(expectedUsage)) {
    throw new ValidationError({ field: 'expectedUsage', value: expectedUsage, expected: 'a usage object' });
  }
  if (stream !== undefined && typeof stream !== 'boolean') {
    throw new ValidationError({ field: 'stream', value: stream, expected: 'a boolean' });
  }
}

/** @internal The same for `runTool`'s options. */
export function validateRunToolOptions(opts: unknown): void {
  if (!isObject(opts))
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  optionalText('callId', opts.callId);
  optionalText('description', opts.description);
  optionalText('type', opts.type);
  optionalSignal('signal', opts.signal);
}
