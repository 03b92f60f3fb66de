/**
 * openai 4.x's ESM build under `node --import @agentrace/instrumentation/register`: it refuses to load when
 * import-in-the-middle wraps its internal shim modules, so the register entry's loader hook wraps only the
 * modules agentrace patches. An unchanged ESM app that imports `openai` (4.104, the last 4.x) loads, calls and
 * gets its costed chat span in the trace tree at exit.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentrace-esm-openai4-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openai 4.x ESM under the register entry', () => {
  it('loads, answers and is one costed chat span', async () => {
    // The app imports `openai` by its own name, as a user's project would: the 4.x dev alias linked as `openai`.
    mkdirSync(join(dir, 'node_modules', '@agentrace'), { recursive: true });
    symlinkSync(
      realpathSync(join(ROOT, 'packages/instrumentation/node_modules/openai-v4-latest')),
      join(dir, 'node_modules', 'openai'),
    );
    symlinkSync(join(ROOT, 'packages/instrumentation'), join(dir, 'node_modules/@agentrace/instrumentation'));
    copyFileSync(join(ROOT, 'test/fixtures/openai/esm-v4-app.mjs'), join(dir, 'app.mjs'));
    const env = { ...process.env };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', '@agentrace/instrumentation/register', 'app.mjs'],
      { cwd: dir, env, timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('hi');
    expect(stderr).toMatch(/chat gpt-4o \(openai\)\s+✓.*in 10 · out 2 tok/);
  }, 40_000);
});
