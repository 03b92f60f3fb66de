/** The npm name of this package, used as the instrumentation scope name of what it records. */
export const INSTRUMENTATION_PACKAGE_NAME = '@agentrace/instrumentation';
