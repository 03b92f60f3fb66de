import { ValidationError } from '@agentrace/pricing';
import type { ValueOf } from '../common/wire.js';

/**
 * Well-known `gen_ai.provider.name` values (GenAI semantic conventions, `@opentelemetry/semantic-conventions`
 * 1.45.0 incubating). Any other string is allowed too.
 */
export const ProviderName = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  GCP_GEMINI: 'gcp.gemini',
  GCP_VERTEX_AI: 'gcp.vertex_ai',
  GCP_GEN_AI: 'gcp.gen_ai',
  AWS_BEDROCK: 'aws.bedrock',
  AZURE_AI_OPENAI: 'azure.ai.openai',
  AZURE_AI_INFERENCE: 'azure.ai.inference',
  MISTRAL_AI: 'mistral_ai',
  COHERE: 'cohere',
  GROQ: 'groq',
  DEEPSEEK: 'deepseek',
  X_AI: 'x_ai',
  PERPLEXITY: 'perplexity',
  IBM_WATSONX_AI: 'ibm.watsonx.ai',
} as const;
export type ProviderName = ValueOf<typeof ProviderName>;

/** AI SDK provider ids (the part before the first `.`, or the whole id) → `gen_ai.provider.name`. */
const BY_AI_SDK_PREFIX: ReadonlyMap<string, string> = new Map([
  ['openai', ProviderName.OPENAI],
  ['azure', ProviderName.AZURE_AI_OPENAI],
  ['azure-openai', ProviderName.AZURE_AI_OPENAI],
  ['anthropic', ProviderName.ANTHROPIC],
  ['google', ProviderName.GCP_GEMINI],
  ['vertex', ProviderName.GCP_VERTEX_AI],
  ['amazon-bedrock', ProviderName.AWS_BEDROCK],
  ['bedrock', ProviderName.AWS_BEDROCK],
  ['mistral', ProviderName.MISTRAL_AI],
  ['cohere', ProviderName.COHERE],
  ['groq', ProviderName.GROQ],
  ['deepseek', ProviderName.DEEPSEEK],
  ['xai', ProviderName.X_AI],
  ['perplexity', ProviderName.PERPLEXITY],
]);

/**
 * The `gen_ai.provider.name` of an AI SDK provider id (`LanguageModel.provider`, e.g. `openai.responses`,
 * `anthropic.messages`, `google.generative-ai`, `google.vertex.chat`, `amazon-bedrock`) or of a
 * `providerMetadata` key (`openai`, `anthropic`, `google`, `bedrock`). An id it does not know is returned
 * as its first segment (`ollama.chat` → `ollama`); the conventions allow custom values.
 *
 * @throws {ValidationError} naming `provider` when the id is not a string.
 * @example
 * ```ts
 * providerNameFromAiSdk('google.vertex.chat'); // 'gcp.vertex_ai'
 * providerNameFromAiSdk('anthropic.messages'); // 'anthropic'
 * ```
 */
export function providerNameFromAiSdk(id: string): string {
  // A custom AI SDK provider object may put anything in `provider`; say so instead of a TypeError.
  if (typeof id !== 'string') {
    throw new ValidationError({ field: 'provider', value: id, expected: 'an AI SDK provider id (a string)' });
  }
  const lower = id.toLowerCase();
  if (lower.startsWith('google.vertex')) return ProviderName.GCP_VERTEX_AI;
  const prefix = lower.split('.', 1)[0] ?? lower;
  return BY_AI_SDK_PREFIX.get(prefix) ?? prefix;
}

/** The provider name of an AI SDK id whose provider agentrace knows, else `undefined`. @internal */
export function knownProviderFromAiSdk(id: string): string | undefined {
  const name = providerNameFromAiSdk(id);
  return KNOWN_NAMES.has(name) ? name : undefined;
}

const KNOWN_NAMES: ReadonlySet<string> = new Set(Object.values(ProviderName));
