/**
 * The terminal view end to end: with no collector configured, a priced multi-agent run prints its trace trees as
 * each agent ends and a cost table at shutdown whose figures are the usage trackers' own.
 */
import { AgentSession, UsageSnapshot } from '@agentrace/core';
import { setupTelemetry } from '@agentrace/otel-exporter';
import { PriceTable } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';

describe('terminal view of a priced run', () => {
  it('prints the trees and a cost table whose figures match the trackers', async () => {
    const chunks: string[] = [];
    const telemetry = setupTelemetry({
      serviceName: 'terminal-test',
      env: {},
      output: { write: (s: string) => chunks.push(s), isTTY: false },
    });
    expect(telemetry.registered.traces).toBe(true);
    const pricing = new PriceTable();
    pricing.register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
    pricing.register('claude-sonnet-4-5', { inputPerMillion: 3, outputPerMillion: 15 });
    try {
      const researcher = new AgentSession({
        role: 'researcher',
        phase: 'p',
        model: 'gpt-4o',
        provider: 'openai',
        pricing,
      });
      const first = await researcher.run(async (s) => {
        await s.runTurn(async () => 'a', {
          usage: new UsageSnapshot({ inputTokens: 1200, outputTokens: 300 }),
        });
        await s.runTurn(async () => 'b', {
          usage: new UsageSnapshot({ inputTokens: 800, outputTokens: 500 }),
        });
        return { cost: s.tracker.totalCost(), handoff: s.handoffTo('writer', 'done') };
      });
      expect(chunks.join('')).toContain('invoke_agent researcher  ✓ completed');
      const writer = new AgentSession({
        role: 'writer',
        phase: 'p',
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        pricing,
      });
      const writerCost = await writer.run(
        async (s) => {
          await s.runTurn(async () => 'c', {
            usage: new UsageSnapshot({ inputTokens: 2000, outputTokens: 1500 }),
          });
          return s.tracker.totalCost();
        },
        { handoff: first.handoff },
      );

      const trees = chunks.join('');
      expect(trees).toMatch(
        /invoke_agent writer {2}✓ completed .*\n├─ ↪ handed off from invoke_agent researcher [0-9a-f]{16}\n└─ chat claude-sonnet-4-5 \(anthropic\)/,
      );
      expect(trees).not.toContain('\u001b[');

      await telemetry.shutdown();
      const table = chunks.at(-1)!;
      const row = (agent: string) =>
        table
          .split('\n')
          .find((l) => l.startsWith(agent))!
          .split(/\s{2,}/);
      expect(row('researcher')).toEqual([
        'researcher',
        'gpt-4o',
        '2',
        '0',
        '2,000',
        '800',
        `$${first.cost.toFixed(4)}`,
      ]);
      expect(row('writer')).toEqual([
        'writer',
        'claude-sonnet-4-5',
        '1',
        '0',
        '2,000',
        '1,500',
        `$${writerCost.toFixed(4)}`,
      ]);
      expect(row('total').at(-1)).toBe(`$${(first.cost + writerCost).toFixed(4)}`);
    } finally {
      await telemetry.shutdown();
    }
  });
});
