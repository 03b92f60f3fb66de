export { AgentraceError, ValidationError } from './agentrace-error.js';
