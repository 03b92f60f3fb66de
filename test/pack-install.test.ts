import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from './helpers/fake-provider.js';
import { spansOf } from './helpers/otlp.js';
import { startOtlpProtobufReceiver } from './helpers/otlp-proto.js';
import { ANTHROPIC_MESSAGE_CACHED } from './helpers/responses.js';

// What a user gets: every publishable package packed as pnpm publishes it (workspace ranges rewritten), installed
// with plain npm into a fresh project beside @opentelemetry/api 1.9, and loaded by node from ESM and from CommonJS
// (require of ESM, Node >= 20.19). It runs against the built `dist/` (`pnpm test` builds first).
const run = promisify(execFile);
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const root = fileURLToPath(new URL('..', import.meta.url));
const PNPM = ['-y', 'pnpm@10.34.9'];

interface Manifest {
  name: string;
  private?: boolean;
  engines?: { node?: string };
  exports: Record<string, unknown>;
}

const publishable = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
  }))
  .filter(({ manifest }) => manifest.private !== true);

/** The import specifiers of a package's exports map (its main entry and subpaths), `./package.json` aside. */
const entriesOf = (manifest: Manifest) =>
  Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));

// Subpaths that would load an optional peer the consumer here does not install. None: every entry, the
// framework layers' included, loads without its framework (the LangChain handler needs nothing of
// `@langchain/core` to load, the instrumentations hook their framework's load).
const NEEDS_OPTIONAL_PEER: Readonly<Record<string, string>> = {};

// Side-effect entries (`…/register`) set up global telemetry and loader hooks: they run under `--import` below.
const isRegister = (specifier: string) => specifier.endsWith('/register');

let work: string;
let tarballs: string[];
let project: string;

/** Runs node in the consumer project, with no OTel variables from the environment (terminal mode, no collector). */
async function node(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return run(process.execPath, args, { cwd: project, env: { ...env, ...extraEnv }, timeout: 30_000 });
}

beforeAll(async () => {
  for (const { dir } of publishable) {
    if (!existsSync(join(root, 'packages', dir, 'dist', 'index.js')))
      throw new Error(`packages/${dir}/dist is missing: build first (npx -y pnpm@10.34.9 run build)`);
  }
  work = mkdtempSync(join(tmpdir(), 'agentrace-pack-'));
  const packed = join(work, 'tarballs');
  await run('npx', [...PNPM, '-r', '--filter', './packages/*', 'pack', '--pack-destination', packed], {
    cwd: root,
  });
  tarballs = readdirSync(packed).map((file) => join(packed, file));
  project = join(work, 'consumer');
  await run('mkdir', ['-p', project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...tarballs,
      '@opentelemetry/api@~1.9.0',
      // The model client of the unchanged app below (declares no Node engine, so it runs on 20 too).
      '@anthropic-ai/sdk@1.14.0',
    ],
    { cwd: project, timeout: 90_000 },
  );
}, 150_000);

// Removing the consumer's node_modules takes more than the default hook timeout on a loaded machine.
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('packed and installed with npm', () => {
  it('packs every publishable package, with its workspace ranges rewritten to versions', async () => {
    const names = tarballs.map((path) =>
      path.slice(path.lastIndexOf('/') + 1).replace(/-\d+\.\d+\.\d+\.tgz$/, ''),
    );
    expect(names.sort()).toEqual(
      publishable.map(({ manifest }) => manifest.name.replace('@', '').replace('/', '-')).sort(),
    );
    for (const { manifest } of publishable) {
      const installed = readFileSync(join(project, 'node_modules', manifest.name, 'package.json'), 'utf8');
      expect(installed, manifest.name).not.toContain('workspace:');
    }
  });

  it('ships no tests, test helpers, fixtures or build info in any tarball', async () => {
    for (const tarball of tarballs) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      const files = stdout.trim().split('\n');
      expect(files.some((file) => file.endsWith('dist/index.js'))).toBe(true);
      expect(
        files.filter((file) => /\.test\.|test-helpers|\/test\/|fixtures|\.tsbuildinfo|\/src\//.test(file)),
        tarball,
      ).toEqual([]);
    }
  });

  it('runs a costed, traced turn from an ESM script and imports every entry point', async () => {
    const entries = publishable
      .filter(({ manifest }) => NODE_MAJOR >= 22 || !manifest.engines?.node?.startsWith('>=22'))
      .flatMap(({ manifest }) => entriesOf(manifest))
      .filter((specifier) => !isRegister(specifier) && !(specifier in NEEDS_OPTIONAL_PEER));
    writeFileSync(
      join(project, 'turn.mjs'),
      `import assert from 'node:assert/strict';
import { AgentSession } from '@agentrace/core';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { defaultPriceTable } from '@agentrace/pricing';

let out = '';
const telemetry = setupTelemetry({ serviceName: 'pack-install', registerGlobal: false, output: { write: (s) => { out += s; } } });
const agent = new AgentSession({ role: 'researcher', phase: 'research', tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider });
const turn = await agent.run((session) => session.runTurn(async () => ({
  id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }],
  usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
}), { provider: 'openai', model: 'gpt-4o', usage: 'auto' }));
assert.equal(turn.ok, true);
assert.equal(turn.usage.inputTokens, 1000);
assert.equal(turn.usage.outputTokens, 500);
const expected = defaultPriceTable.costBreakdown('gpt-4o', { inputTokens: 1000, outputTokens: 500 }, { provider: 'openai' }).total;
assert.ok(turn.costUsd > 0);
const summary = await telemetry.costSummary();
await telemetry.shutdown();
const loaded = {};
for (const specifier of ${JSON.stringify(entries)}) loaded[specifier] = Object.keys(await import(specifier)).length;
console.log(JSON.stringify({ costUsd: turn.costUsd, expected, summary, out, loaded }));
`,
    );
    const { stdout } = await node(['turn.mjs']);
    const report = JSON.parse(stdout);
    expect(report.expected).toBeGreaterThan(0);
    expect(report.costUsd).toBeCloseTo(report.expected, 10);
    expect(report.summary.rows).toEqual([
      expect.objectContaining({ agent: 'researcher', model: 'gpt-4o', turns: 1 }),
    ]);
    expect(report.out).toContain('invoke_agent researcher');
    expect(report.out).toContain('chat gpt-4o');
    for (const specifier of entries) expect(report.loaded[specifier], specifier).toBeGreaterThan(0);
  });

  it('loads every entry point from a CommonJS script (require of ESM) and runs a turn', async () => {
    const entries = publishable
      .filter(({ manifest }) => NODE_MAJOR >= 22 || !manifest.engines?.node?.startsWith('>=22'))
      .flatMap(({ manifest }) => entriesOf(manifest))
      .filter((specifier) => !isRegister(specifier) && !(specifier in NEEDS_OPTIONAL_PEER));
    writeFileSync(
      join(project, 'turn.cjs'),
      `const assert = require('node:assert/strict');
const { AgentSession, CircuitBreaker } = require('@agentrace/core');
const { RedisStateStore } = require('@agentrace/redis');
const { agentraceMiddleware } = ${NODE_MAJOR >= 22 ? "require('@agentrace/ai-sdk')" : '{}'};
const loaded = {};
for (const specifier of ${JSON.stringify(entries)}) loaded[specifier] = Object.keys(require(specifier)).length;
assert.equal(typeof RedisStateStore, 'function');
(async () => {
  const breaker = new CircuitBreaker({ name: 'openai' });
  const turn = await new AgentSession({ role: 'writer', phase: 'draft', circuitBreaker: breaker }).run((session) =>
    session.runTurn(() => 'done', { usage: { inputTokens: 3, outputTokens: 4 } }));
  assert.equal(turn.result, 'done');
  assert.equal(turn.usage.outputTokens, 4);
  console.log(JSON.stringify({ loaded, middleware: typeof agentraceMiddleware, breaker: breaker.state() }));
})().catch((err) => { console.error(err); process.exit(1); });
`,
    );
    const { stdout } = await node(['turn.cjs']);
    const report = JSON.parse(stdout);
    for (const specifier of entries) expect(report.loaded[specifier], specifier).toBeGreaterThan(0);
    expect(report.breaker).toBe('closed');
    expect(report.middleware).toBe(NODE_MAJOR >= 22 ? 'function' : 'undefined');
  });

  it('starts an app under each register entry with --import', async () => {
    const registers = publishable.flatMap(({ manifest }) => entriesOf(manifest)).filter(isRegister);
    expect(registers.length).toBeGreaterThan(0);
    writeFileSync(join(project, 'app.mjs'), "console.log('app ran');\n");
    for (const specifier of registers) {
      const { stdout } = await node(['--import', specifier, 'app.mjs']);
      expect(stdout, specifier).toContain('app ran');
    }
  });

  it('an unchanged Anthropic app under --import register: costed chat spans and metrics at the collector', async () => {
    const provider = await startFakeProvider();
    const receiver = await startOtlpProtobufReceiver();
    try {
      provider.enqueue({ json: ANTHROPIC_MESSAGE_CACHED });
      writeFileSync(
        join(project, 'anthropic-app.mjs'),
        `import Anthropic from '@anthropic-ai/sdk';
const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: process.env.BASE_URL, maxRetries: 0 });
const m = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
console.log('ANSWER', m.id);
`,
      );
      const { stdout } = await node(
        ['--import', '@agentrace/instrumentation/register', 'anthropic-app.mjs'],
        {
          BASE_URL: provider.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
      );
      expect(stdout).toContain(`ANSWER ${ANTHROPIC_MESSAGE_CACHED.id}`);
      const spans = spansOf(receiver.requests);
      expect(spans.map((s) => s.name)).toEqual(['chat claude-haiku-4-5']);
      expect(spans[0]!.attrs['agentrace.usage.cost']).toBeGreaterThan(0);
      const metricNames = JSON.stringify(receiver.requests.filter((r) => r.path === '/v1/metrics'));
      expect(metricNames).toContain('gen_ai.client.token.usage');
      expect(metricNames).toContain('agentrace.cost');
    } finally {
      await provider.close();
      await receiver.close();
    }
  });
});
