/**
 * agentrace quick start: one agent, a simulated model, a breaker, permissions and a budget.
 *
 * The model here is SIMULATED (no network, no API key): it returns canned answers with made-up token counts,
 * and fails on purpose where noted, so the run shows classification, recovery records and the breaker.
 *
 * Run from the repository root: `npx -y pnpm@10.34.9 install && npx -y pnpm@10.34.9 quickstart`.
 */
import {
  AgentSession,
  CircuitBreaker,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
  RingBufferEventSink,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';

/** A stand-in for a model client. It is simulated: nothing leaves this process. */
function simulatedModel(
  turn: number,
): Promise<{ text: string; usage: { prompt: number; completion: number } }> {
  if (turn === 2)
    return Promise.reject(Object.assign(new Error('429 Too Many Requests (simulated)'), { status: 429 }));
  if (turn === 3)
    return Promise.reject(Object.assign(new Error('503 Service Unavailable (simulated)'), { status: 503 }));
  return Promise.resolve({
    text: `simulated answer #${turn}`,
    usage: { prompt: 1200 + turn * 100, completion: 300 },
  });
}

const pricing = new PriceTable();
pricing.register('sim-gpt', { inputPerMillion: 2.5, outputPerMillion: 10 });

const events = new RingBufferEventSink();
const breaker = new CircuitBreaker({ name: 'sim-provider', failureThreshold: 2, recoveryTimeoutMs: 30_000 });
const agent = new AgentSession({
  role: 'researcher',
  phase: 'research',
  model: 'sim-gpt',
  provider: 'simulated',
  pricing,
  budgetUsd: 0.005,
  circuitBreaker: breaker,
  eventSink: events,
  permissions: new PermissionEnforcer(
    new PermissionPolicy({
      roles: { researcher: { role: 'researcher', mode: PermissionMode.READ_ONLY } },
      toolRequirements: { write_file: PermissionMode.WORKSPACE_WRITE },
    }),
  ),
});

const summary = await agent.run(async (session) => {
  for (let turn = 1; turn <= 5; turn++) {
    try {
      const { result, costUsd } = await session.runTurn(() => simulatedModel(turn), {
        estimateUsage: (r) => ({ inputTokens: r.usage.prompt, outputTokens: r.usage.completion }),
      });
      console.log(`turn ${turn}: ${result.text} ($${costUsd.toFixed(6)})`);
    } catch (err) {
      console.log(`turn ${turn}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  const found = await session.runTool('search', async () => ['doc-1', 'doc-2']);
  console.log(`tool search: ${found.join(', ')}`);
  await session
    .runTool('write_file', () => 'never runs')
    .catch((err: Error) => console.log(`tool write_file: ${err.message}`));
  return session.summary();
});

console.log('\nbreaker state:', breaker.state());
console.log('usage:', summary.usage);
console.log(
  'recovery records:',
  summary.recovery_events.map((r) => `${r.event_type} ${r.scenario}`).join(', '),
);
console.log('events:', events.events.map((e) => e.event).join(' → '));
