// Sinks are typed as returning nothing, but an async function fits that type: its rejection must be reported
// like a throw, never left as an unhandled rejection (which ends a Node process by default).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventSink } from '../lifecycle/event-sink.js';
import type { UsageSink } from '../usage/usage-sink.js';
import { AgentSession } from './agent-session.js';

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('async sinks', () => {
  it('a rejecting event and usage sink never leave an unhandled rejection, and the session carries on', async () => {
    let events = 0;
    let records = 0;
    const eventSink = {
      emit: async () => {
        events++;
        throw new Error('event sink down');
      },
    } as unknown as EventSink;
    const usageSink = {
      record: async () => {
        records++;
        throw new Error('usage sink down');
      },
    } as unknown as UsageSink;
    const agent = new AgentSession({ role: 'r', phase: 'p', model: 'gpt-4o', eventSink, usageSink });
    const results = await agent.run(async (s) => [
      await s.runTurn(async () => 'a', { usage: { inputTokens: 10, outputTokens: 5 } }),
      await s.runTurn(async () => 'b', { usage: { inputTokens: 10, outputTokens: 5 } }),
    ]);
    await new Promise((r) => setTimeout(r, 10));
    expect(results.map((r) => r.result)).toEqual(['a', 'b']);
    expect(events).toBeGreaterThan(0);
    expect(records).toBe(2);
    expect(unhandled).toEqual([]);
  });
});
