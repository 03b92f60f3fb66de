import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  FanOutUsageSink,
  JsonLinesUsageSink,
  NoopUsageSink,
  RingBufferUsageSink,
  type UsageSink,
} from './usage-sink.js';
import { UsageSnapshot } from './usage-snapshot.js';

const tmp = mkdtempSync(join(tmpdir(), 'agentrace-usage-sink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let n = 0;
const file = () => join(tmp, `usage-${++n}.jsonl`);
const T0 = Date.parse('2026-05-14T10:00:00.000Z');
const ticking = () => {
  let now = T0;
  return () => (now += 1000);
};
const usage = (i: number) => new UsageSnapshot({ inputTokens: i, outputTokens: 2 * i, cacheReadTokens: 3 });
const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('NoopUsageSink', () => {
  it('accepts records and keeps nothing', () => {
    const sink: UsageSink = new NoopUsageSink();
    expect(sink.record('m', usage(1), 0.1)).toBeUndefined();
    expect(Object.keys(sink)).toEqual([]);
  });
});

describe('RingBufferUsageSink', () => {
  it('keeps {model, usage, costUsd, recordedAt}, newest N oldest→newest', () => {
    const sink = new RingBufferUsageSink(2, { wallClock: ticking() });
    sink.record('a', usage(1), 0.1);
    sink.record('b', usage(2), 0.2);
    sink.record('c', usage(3), 0.3);
    expect(sink.records).toEqual([
      { model: 'b', usage: usage(2), costUsd: 0.2, recordedAt: '2026-05-14T10:00:02.000Z' },
      { model: 'c', usage: usage(3), costUsd: 0.3, recordedAt: '2026-05-14T10:00:03.000Z' },
    ]);
    expect(Object.isFrozen(sink.records[0])).toBe(true);
    sink.clear();
    expect(sink.records).toEqual([]);
  });

  it('defaults to 1000 records and the system clock', () => {
    const sink = new RingBufferUsageSink();
    expect(sink.capacity).toBe(1000);
    for (let i = 0; i < 1001; i++) sink.record('m', usage(i), i);
    expect(sink.records).toHaveLength(1000);
    expect(sink.records[0]?.costUsd).toBe(1);
    expect(Date.parse(sink.records[0]?.recordedAt ?? '')).not.toBeNaN();
  });

  it('validates the capacity', () => {
    expect(() => new RingBufferUsageSink(-1)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'capacity' }),
    );
  });
});

describe('FanOutUsageSink', () => {
  it('delivers to every sink, isolating one that throws', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const a = new RingBufferUsageSink();
    const b = new RingBufferUsageSink();
    const broken: UsageSink = {
      record: () => {
        throw new Error('quota service down');
      },
    };
    const fan = new FanOutUsageSink([broken, a, broken, b]);
    expect(() => fan.record('m', usage(1), 0.5)).not.toThrow();
    expect(a.records.map((r) => r.costUsd)).toEqual([0.5]);
    expect(b.records.map((r) => r.costUsd)).toEqual([0.5]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(fan.sinks).toHaveLength(4);
  });
});

describe('JsonLinesUsageSink', () => {
  it('appends one snake_case object per line, read back intact', async () => {
    const path = file();
    const sink = new JsonLinesUsageSink({ path, wallClock: ticking() });
    sink.record('gpt-4o', usage(10), 0.0125);
    sink.record('MODEL-A-20260514', usage(0), 0);
    await sink.close();
    const lines = readLines(path);
    expect(lines).toEqual([
      {
        model: 'gpt-4o',
        usage: { input_tokens: 10, output_tokens: 20, cache_write_tokens: 0, cache_read_tokens: 3 },
        cost_usd: 0.0125,
        recorded_at: '2026-05-14T10:00:01.000Z',
      },
      {
        model: 'MODEL-A-20260514',
        usage: { input_tokens: 0, output_tokens: 0, cache_write_tokens: 0, cache_read_tokens: 3 },
        cost_usd: 0,
        recorded_at: '2026-05-14T10:00:02.000Z',
      },
    ]);
    expect(UsageSnapshot.fromDict(lines[0]?.usage)).toEqual(usage(10));
    expect(sink.dropped).toBe(0);
    expect(sink.path).toBe(path);
  });

  it('bounds its backlog, dropping and counting', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const path = file();
    const sink = new JsonLinesUsageSink({ path, maxBufferedBytes: 1 });
    for (let i = 0; i < 3; i++) sink.record('m', usage(i), i);
    expect(sink.dropped).toBe(2);
    await sink.flush();
    sink.record('m', usage(9), 9);
    await sink.close();
    expect(readLines(path).map((l) => l.cost_usd)).toEqual([0, 9]);
  });

  it('reports a record that cannot be built and keeps going', async () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const path = file();
    let bad = true;
    const sink = new JsonLinesUsageSink({ path, wallClock: () => (bad ? Number.NaN : T0) });
    expect(() => sink.record('m', usage(1), 1)).not.toThrow();
    bad = false;
    sink.record('m', usage(2), 2);
    await sink.close();
    expect(sink.dropped).toBe(1);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('JsonLinesUsageSink'), expect.any(RangeError));
    expect(readLines(path).map((l) => l.cost_usd)).toEqual([2]);
  });

  it('reports an unwritable file through diag, never throwing', async () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const sink = new JsonLinesUsageSink({ path: join(tmp, 'nope', 'usage.jsonl') });
    sink.record('m', usage(1), 1);
    await sink.close();
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('cannot write'),
      expect.objectContaining({ code: 'ENOENT' }),
    );
    sink.record('m', usage(1), 1);
    expect(sink.dropped).toBe(1);
  });

  it('validates its options', () => {
    expect(() => new JsonLinesUsageSink({ path: 42 as unknown as string })).toThrow(
      expect.objectContaining({ field: 'path' }),
    );
    expect(() => new JsonLinesUsageSink({ path: file(), maxBufferedBytes: Number.NaN })).toThrow(
      expect.objectContaining({ field: 'maxBufferedBytes' }),
    );
  });
});
