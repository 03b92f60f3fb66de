import { register } from 'node:module';

/**
 * The modules the ESM loader hook wraps: the packages agentrace's instrumentations patch, and nothing else.
 * `openai` by its specifier (the instrumentation patches its entry module only); the others by any file of the
 * package (their instrumentations patch files inside it, reached through relative imports).
 *
 * Why a list: import-in-the-middle wraps every module it is not told to leave, and a wrapped module can change
 * how a package loads. openai 4.x's ESM build, for one, refuses to load once its internal shim modules are
 * wrapped ("you must `import 'openai/shims/node'` before importing anything else from openai").
 */
export const ESM_HOOKED_MODULES: readonly (string | RegExp)[] = [
  'openai',
  /\/node_modules\/(?:@anthropic-ai\/sdk|@google\/genai|@modelcontextprotocol\/sdk|@openai\/agents[^/]*|@langchain\/core)\//,
];

/** The MCP-only entry's list. */
export const MCP_ESM_HOOKED_MODULES: readonly RegExp[] = [/\/node_modules\/@modelcontextprotocol\/sdk\//];

/** Registers `@opentelemetry/instrumentation`'s ESM loader hook (import-in-the-middle) for `include` only. */
export function registerEsmHook(include: readonly (string | RegExp)[], parentURL: string): void {
  register('@opentelemetry/instrumentation/hook.mjs', parentURL, { data: { include: [...include] } });
}
