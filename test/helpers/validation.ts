import { ValidationError } from '@agentrace/pricing';

/**
 * The `field` of the ValidationError `fn` throws, or undefined when it throws nothing; any other error is
 * rethrown, so a test sees it.
 */
export function validationFieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (ValidationError.isInstance(err)) return err.field;
    throw err;
  }
  return undefined;
}
