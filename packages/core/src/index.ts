export { AgentraceError } from '@agentrace/pricing';
