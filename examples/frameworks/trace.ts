/**
 * Runs one of the framework apps of this folder, unchanged, under `node --import
 * @agentrace/instrumentation/register`, against a SIMULATED OpenAI endpoint on loopback (scripted replies, no
 * model, no API key, no network). The trace goes where the `OTEL_*` variables say: OTLP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the local stack: `pnpm stack:up`), else a trace tree on stderr.
 *
 * `AGENTRACE_OPENAI_AGENTS_EXCLUSIVE=true` keeps the Agents SDK from exporting its traces to OpenAI's servers
 * (the simulated key would be refused there); agentrace's processor replaces the SDK's.
 *
 * Usage: `tsx examples/frameworks/trace.ts triage-agents.mjs` (or `react-langgraph.mjs`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSimulatedOpenAI } from './simulated-openai.js';

const APPS = ['triage-agents.mjs', 'react-langgraph.mjs'];
const app = process.argv[2] ?? '';
if (!APPS.includes(app)) {
  console.error(`usage: tsx examples/frameworks/trace.ts <${APPS.join('|')}>`);
  process.exit(2);
}

const sim = await startSimulatedOpenAI();
console.error(`agentrace: SIMULATED OpenAI endpoint at ${sim.url} (scripted replies, not a model)`);
const child = spawn(
  process.execPath,
  ['--import', '@agentrace/instrumentation/register', fileURLToPath(new URL(app, import.meta.url))],
  {
    // `--import` resolves from the working directory: the examples package, which depends on the register entry.
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      OPENAI_BASE_URL: sim.url,
      OPENAI_API_KEY: 'simulated',
      AGENTRACE_OPENAI_AGENTS_EXCLUSIVE: process.env.AGENTRACE_OPENAI_AGENTS_EXCLUSIVE ?? 'true',
    },
    stdio: 'inherit',
  },
);
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
console.error(`agentrace: ${sim.calls} simulated model calls`);
await sim.close();
process.exit(code ?? 1);
