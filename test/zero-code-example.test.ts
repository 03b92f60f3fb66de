/**
 * examples/zero-code as a user runs it: the command of its `zero-code` script (`node --import
 * @agentrace/instrumentation/register zero-code/agent.mjs`, the built package), the real `openai` client, the
 * simulated loopback endpoint. The same file run without the preload is the app as it was: the same answer, no trace.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { requireBuilt } from './helpers/register-child.js';

// Each test starts one or two Node processes that load the SDKs: seconds each on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const ANSWER = 'It is 12°C and cloudy in Oslo today: wear a warm jacket and bring an umbrella.';

/** The example's script, word for word, as the one command README shows. */
const SCRIPT = (
  JSON.parse(readFileSync(new URL('../examples/package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['zero-code']!;

function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const name of [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_TRACES_EXPORTER',
    'OTEL_METRICS_EXPORTER',
    'OPENAI_API_KEY',
  ])
    delete env[name];
  return promisify(execFile)(process.execPath, args, { cwd: EXAMPLES, env, timeout: 60_000 });
}

beforeAll(requireBuilt);

describe.skipIf(NODE_MAJOR < 22)('examples/zero-code (openai 7 declares Node >= 22)', () => {
  it('the script is the one command: node --import the register entry, then the unchanged agent', () => {
    expect(SCRIPT).toBe('node --import @agentrace/instrumentation/register zero-code/agent.mjs');
    const agent = readFileSync(new URL('../examples/zero-code/agent.mjs', import.meta.url), 'utf8');
    expect(agent).not.toMatch(/(from |import\(|require\()'@agentrace/);
    expect(agent).toMatch(/from 'openai'/);
  });

  it('without the preload: the answer, a note that the endpoint is simulated, no trace', async () => {
    const { stdout, stderr } = await run(['zero-code/agent.mjs']);
    expect(stdout.trim()).toBe(ANSWER);
    expect(stderr).toContain('simulated OpenAI endpoint');
    expect(stderr).not.toContain('chat gpt-4o');
  });

  it('with it: the same answer, and the trace tree shows both chat calls with tokens and cost', async () => {
    const [node, ...args] = SCRIPT.split(' ');
    expect(node).toBe('node');
    const { stdout, stderr } = await run(args);
    expect(stdout.trim()).toBe(ANSWER);
    const calls = stderr.match(/chat gpt-4o \(openai\)\s+✓\s+\d+ms\s+in \d+ · out \d+ tok\s+\$0\.\d{4}/g);
    expect(calls, stderr).toHaveLength(2);
  });

  // The cost table is read from the GenAI metrics the openai instrumentation records.
  it('with it: the cost table at exit', async () => {
    const { stderr } = await run(SCRIPT.split(' ').slice(1));
    expect(stderr).toMatch(/gpt-4o\s+2\s+0\s+\d+\s+\d+\s+\$0\.\d{4}/);
  });
});
