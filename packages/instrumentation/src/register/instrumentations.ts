import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AnthropicInstrumentation } from '../anthropic/anthropic-instrumentation.js';
import { GoogleGenAIInstrumentation } from '../google-genai/google-genai-instrumentation.js';
import { LangChainInstrumentation } from '../langchain/langchain-instrumentation.js';
import { McpInstrumentation } from '../mcp/mcp-instrumentation.js';
import { OpenAIInstrumentation } from '../openai/openai-instrumentation.js';
import { OpenAIAgentsSdkInstrumentation } from '../openai-agents/agents-instrumentation.js';

/** One instrumentation `register` can enable, by the short name `OTEL_NODE_*_INSTRUMENTATIONS` select it by. */
export interface RegisteredInstrumentation {
  /** `openai`, `anthropic`, `google-genai`, `mcp`, `openai-agents`, `langchain`. */
  readonly name: string;
  readonly create: () => Instrumentation;
}

/** Every instrumentation `@agentrace/instrumentation/register` knows; each client's issue appends its own. */
export const REGISTERED_INSTRUMENTATIONS: readonly RegisteredInstrumentation[] = [
  { name: 'openai', create: () => new OpenAIInstrumentation() },
  { name: 'anthropic', create: () => new AnthropicInstrumentation() },
  { name: 'google-genai', create: () => new GoogleGenAIInstrumentation() },
  { name: 'mcp', create: () => new McpInstrumentation() },
  // Frameworks: each hooks its package's load, so an app without it loads nothing of it.
  { name: 'openai-agents', create: () => new OpenAIAgentsSdkInstrumentation() },
  { name: 'langchain', create: () => new LangChainInstrumentation() },
];

function names(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return new Set(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * The instrumentations selected by `OTEL_NODE_ENABLED_INSTRUMENTATIONS` (only these, when set) and
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (never these), as `@opentelemetry/auto-instrumentations-node` reads them.
 */
export function selectInstrumentations(
  env: Readonly<Record<string, string | undefined>>,
  all: readonly RegisteredInstrumentation[] = REGISTERED_INSTRUMENTATIONS,
): RegisteredInstrumentation[] {
  const enabled = names(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const disabled = names(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS);
  return all.filter((i) => (!enabled || enabled.has(i.name)) && !disabled?.has(i.name));
}
