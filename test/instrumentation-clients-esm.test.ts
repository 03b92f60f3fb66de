/**
 * The ESM path of the client instrumentations: unchanged apps importing the SDKs' ESM builds, in child
 * processes started with `node --import` of a preload that registers the ESM loader hook and the
 * instrumentations (as a user's own OTel setup would). They run the built package (`pnpm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js';
import { ANTHROPIC_MESSAGE_CACHED, GEMINI_RESPONSE, OPENAI_CHAT_CACHED } from './helpers/responses.js';
import {
  ANTHROPIC_STREAM,
  GEMINI_STREAM,
  OPENAI_CHAT_STREAM,
  OPENAI_RESPONSES_STREAM,
} from './helpers/stream-usage-events.js';

const CWD = fileURLToPath(new URL('.', import.meta.url));
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

interface ChildSpan {
  name: string;
  scope: string;
  attributes: Record<string, unknown>;
}

function runApp(
  app: string,
  baseUrl: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; spans: ChildSpan[] }> {
  if (!existsSync(new URL('../packages/instrumentation/dist/anthropic/index.js', import.meta.url))) {
    throw new Error('packages/instrumentation is not built: run `pnpm run build` first');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './fixtures/clients/preload.mjs', app], {
      cwd: CWD,
      env: { ...process.env, BASE_URL: baseUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('SPANS '));
      if (!line) return reject(new Error(`no spans from ${app} (exit ${code}): ${err}`));
      resolve({ code, out, spans: JSON.parse(line.slice('SPANS '.length)) as ChildSpan[] });
    });
  });
}

let provider: FakeProvider;
beforeEach(async () => {
  provider = await startFakeProvider();
});
afterEach(() => provider.close());

describe('client instrumentations under node --import (ESM builds)', () => {
  it('@anthropic-ai/sdk: create and stream each one priced agentrace span, no SDK span beside it', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { sse: { events: ANTHROPIC_STREAM, named: true } });
    const { code, out, spans } = await runApp('fixtures/clients/anthropic-app.mjs', provider.url);
    expect(code).toBe(0);
    expect(out).toContain('ANSWER msg_01XFDUDYJgAACzvnptvVoYEL 15');
    expect(spans.map((s) => [s.name, s.scope])).toEqual([
      ['chat claude-haiku-4-5', '@agentrace/instrumentation/anthropic'],
      ['chat claude-haiku-4-5', '@agentrace/instrumentation/anthropic'],
    ]);
    expect(spans.map((s) => s.attributes['gen_ai.usage.output_tokens'])).toEqual([120, 15]);
    expect(spans.every((s) => typeof s.attributes['agentrace.usage.cost'] === 'number')).toBe(true);
    expect(spans.some((s) => s.attributes['gen_ai.input.messages'] !== undefined)).toBe(false);
  });

  it('@anthropic-ai/sdk with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true: content on both spans', async () => {
    provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED }, { sse: { events: ANTHROPIC_STREAM, named: true } });
    const { code, spans } = await runApp('fixtures/clients/anthropic-app.mjs', provider.url, {
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    });
    expect(code).toBe(0);
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      const input = JSON.parse(String(span.attributes['gen_ai.input.messages']));
      expect(input[0]).toMatchObject({ role: 'user', parts: [{ type: 'text' }] });
    }
    const outputs = spans.map((s) => JSON.parse(String(s.attributes['gen_ai.output.messages']))[0]);
    expect(outputs[0]).toMatchObject({
      finish_reason: 'tool_call',
      parts: [{ type: 'tool_call', name: 'get_weather' }],
    });
    expect(outputs[1]).toEqual({
      role: 'assistant',
      parts: [{ type: 'text', content: 'Hello!' }],
      finish_reason: 'stop',
    });
  });

  it('openai: a chat stream, a parse and a Responses stream each one priced span', async () => {
    const json = { scene: 'boardwalk' };
    provider.enqueue(
      { sse: { events: OPENAI_CHAT_STREAM, doneMarker: true } },
      {
        json: {
          ...OPENAI_CHAT_CACHED,
          choices: [
            {
              ...OPENAI_CHAT_CACHED.choices[0],
              message: { role: 'assistant', content: JSON.stringify(json) },
            },
          ],
        },
      },
      { sse: { events: OPENAI_RESPONSES_STREAM, named: true } },
    );
    const { code, out, spans } = await runApp('fixtures/clients/openai-app.mjs', provider.url);
    expect(code).toBe(0);
    expect(out).toContain(
      `ANSWER ${OPENAI_CHAT_STREAM.length} ${JSON.stringify(json)} ${OPENAI_RESPONSES_STREAM.length}`,
    );
    expect(spans.map((s) => [s.name, s.scope])).toEqual([
      ['chat gpt-4o', '@agentrace/instrumentation/openai'],
      ['chat gpt-4o', '@agentrace/instrumentation/openai'],
      ['chat gpt-4.1', '@agentrace/instrumentation/openai'],
    ]);
    expect(spans.map((s) => s.attributes['gen_ai.usage.output_tokens'])).toEqual([7, 300, 4]);
    expect(spans.every((s) => typeof s.attributes['agentrace.usage.cost'] === 'number')).toBe(true);
  });

  it.skipIf(NODE_MAJOR < 22)(
    '@google/genai (Node >= 22): generateContent and the stream, priced',
    async () => {
      provider.enqueue({ json: GEMINI_RESPONSE }, { sse: { events: GEMINI_STREAM } });
      const { code, out, spans } = await runApp('fixtures/clients/genai-app.mjs', provider.url);
      expect(code).toBe(0);
      expect(out).toContain('ANSWER mDJmaNb6Dd3X1PIP5LmIsAM');
      expect(spans.map((s) => [s.name, s.scope])).toEqual([
        ['chat gemini-2.5-flash', '@agentrace/instrumentation/google-genai'],
        ['chat gemini-2.5-flash', '@agentrace/instrumentation/google-genai'],
      ]);
      expect(spans.every((s) => typeof s.attributes['agentrace.usage.cost'] === 'number')).toBe(true);
    },
  );
});
