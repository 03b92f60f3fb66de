/**
 * The drop-in examples run as a user runs them (a real process, the real clients, the simulated loopback
 * endpoint): the loop gives the same answer before and after agentrace, and after it the terminal shows the
 * trace tree and the cost table.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const root = fileURLToPath(new URL('..', import.meta.url));
const ANSWER = 'It is 12°C and cloudy in Oslo today: wear a warm jacket and bring an umbrella.';

async function run(example: string): Promise<{ stdout: string; stderr: string }> {
  // tsx resolves the workspace packages through the root tsconfig's paths, as the examples' scripts do.
  return promisify(execFile)(process.execPath, ['--import', 'tsx', `examples/drop-in/${example}`], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' },
    timeout: 60_000,
  });
}

describe.skipIf(NODE_MAJOR < 22)('drop-in examples (openai 7 and ai 7 declare Node >= 22)', () => {
  it('before.ts: the plain OpenAI loop answers, and prints nothing else', async () => {
    const { stdout, stderr } = await run('before.ts');
    expect(stdout.trim()).toBe(ANSWER);
    expect(stderr).not.toContain('invoke_agent');
  });

  it('after.ts: the same answer, and a trace with both turns, the tool call and their cost', async () => {
    const { stdout, stderr } = await run('after.ts');
    expect(stdout.trim()).toBe(ANSWER);
    expect(stderr).toMatch(/invoke_agent weather-agent\s+✓ completed/);
    expect(stderr.match(/chat gpt-4o \(openai\)\s+✓/g)).toHaveLength(2);
    expect(stderr).toContain('execute_tool get_weather');
    expect(stderr).toMatch(/weather-agent\s+gpt-4o\s+2\s+0\s+\d+\s+\d+\s+\$0\.\d{4}/);
  });

  it('ai-sdk.ts: the AI SDK agent streams the answer; each step a turn in the trace', async () => {
    const { stdout, stderr } = await run('ai-sdk.ts');
    expect(stdout.trim()).toBe(ANSWER);
    expect(stderr.match(/chat gpt-4o \(openai\)\s+✓/g)).toHaveLength(2);
    expect(stderr).toContain('execute_tool get_weather');
  });
});
