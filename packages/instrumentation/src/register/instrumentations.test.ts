import { describe, expect, it } from 'vitest';
import { REGISTERED_INSTRUMENTATIONS, selectInstrumentations } from './instrumentations.js';

const names = (env: Record<string, string>) => selectInstrumentations(env).map((i) => i.name);

describe('selectInstrumentations', () => {
  it('takes every instrumentation when neither variable is set', () => {
    expect(names({})).toEqual(REGISTERED_INSTRUMENTATIONS.map((i) => i.name));
  });

  it('takes only the enabled ones, by short name, spaces and empty entries ignored', () => {
    expect(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' mcp , ,' })).toEqual(['mcp']);
  });

  it('drops the disabled ones, also from an enabled list', () => {
    expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'openai' })).not.toContain('openai');
    expect(
      names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'openai,mcp', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'mcp' }),
    ).toEqual(['openai']);
  });

  it('knows the framework layers by the names the variables take', () => {
    expect(REGISTERED_INSTRUMENTATIONS.map((i) => i.name)).toEqual(
      expect.arrayContaining(['openai-agents', 'langchain']),
    );
    expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'openai-agents,langchain' })).toEqual([
      'openai',
      'anthropic',
      'google-genai',
      'mcp',
    ]);
  });
});
