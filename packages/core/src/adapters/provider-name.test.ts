import { describe, expect, it } from 'vitest';
import { knownProviderFromAiSdk, ProviderName, providerNameFromAiSdk } from './provider-name.js';

describe('providerNameFromAiSdk', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['azure.chat', 'azure.ai.openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gcp.gemini'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['vertex.anthropic.messages', 'gcp.vertex_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['bedrock', 'aws.bedrock'],
    ['mistral.chat', 'mistral_ai'],
    ['groq.chat', 'groq'],
    ['deepseek.chat', 'deepseek'],
    ['xai.chat', 'x_ai'],
    ['perplexity', 'perplexity'],
    ['cohere.chat', 'cohere'],
    ['Ollama.Chat', 'ollama'],
    ['gateway', 'gateway'],
  ])('%s → %s', (id, name) => {
    expect(providerNameFromAiSdk(id)).toBe(name);
  });

  // Found by the reliability fuzzer (a custom AI SDK model whose provider is not a string): a TypeError before.
  it.each([undefined, 42, {}])('refuses a non-string id %o with a ValidationError naming provider', (id) => {
    expect(() => providerNameFromAiSdk(id as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'provider' }),
    );
  });

  it('knownProviderFromAiSdk only answers for conventional names', () => {
    expect(knownProviderFromAiSdk('openai')).toBe('openai');
    expect(knownProviderFromAiSdk('gateway')).toBeUndefined();
  });

  it('ProviderName holds the GenAI conventions well-known values', () => {
    expect(Object.values(ProviderName)).toContain('gcp.gen_ai');
    expect(Object.values(ProviderName)).toHaveLength(15);
  });
});
