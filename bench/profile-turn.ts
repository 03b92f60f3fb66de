// Runs many turns of one variant for a CPU profile. Not a benchmark: use it to find where a turn's time goes.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/agentrace-profiles --import tsx profile-turn.ts sdk 100000
//   node --import tsx profile-summary.ts /tmp/agentrace-profiles/<newest>.cpuprofile
//
// Variants: `sdk` (runTurn with the SDK registered, as variant c) or `nosdk` (runTurn, no SDK: variant b).
import { TURNS_PER_YIELD, yieldToLoop } from './report.js';
import { installSdk } from './sdk.js';
import { agentraceTurn, newAgent } from './workload.js';

const variant = process.argv[2] ?? 'sdk';
const turns = Number(process.argv[3] ?? 100_000);
if (variant !== 'sdk' && variant !== 'nosdk') throw new Error(`unknown variant ${variant}: use sdk or nosdk`);
if (!(Number.isSafeInteger(turns) && turns > 0))
  throw new Error(`turns must be a positive integer, got ${turns}`);

const sdk = variant === 'sdk' ? installSdk() : undefined;
const session = newAgent().open();
const start = performance.now();
for (let i = 1; i <= turns; i++) {
  await agentraceTurn(session);
  if (i % TURNS_PER_YIELD === 0) {
    await yieldToLoop();
    sdk?.drain();
  }
}
const perTurnUs = ((performance.now() - start) * 1000) / turns;
session.complete();
await sdk?.shutdown();
console.log(`${variant}: ${turns} turns, ${perTurnUs.toFixed(2)} µs per turn (profiling inflates this)`);
