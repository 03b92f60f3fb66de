import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AgentEvent } from './agent-event.js';
import {
  type EventSink,
  FanOutEventSink,
  JsonLinesEventSink,
  NoopEventSink,
  RingBufferEventSink,
} from './event-sink.js';

const tmp = mkdtempSync(join(tmpdir(), 'agentrace-event-sink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let n = 0;
const file = () => join(tmp, `events-${++n}.jsonl`);
const at = (i: number) => `2026-05-14T10:00:${String(i).padStart(2, '0')}.000Z`;
const started = (i: number) =>
  new AgentEvent({ event: 'agent.started', status: 'running', role: `r${i}`, emittedAt: at(i) });
const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('NoopEventSink', () => {
  it('accepts events and keeps nothing', () => {
    const sink: EventSink = new NoopEventSink();
    expect(sink.emit(started(1))).toBeUndefined();
    expect(Object.keys(sink)).toEqual([]);
  });
});

describe('RingBufferEventSink', () => {
  it('keeps 1000 events by default, newest last', () => {
    const sink = new RingBufferEventSink();
    expect(sink.capacity).toBe(1000);
    for (let i = 0; i < 1005; i++) sink.emit(started(i % 60));
    expect(sink.events).toHaveLength(1000);
    expect(sink.events[0]?.role).toBe(`r${5 % 60}`);
    expect(sink.events[999]?.role).toBe(`r${1004 % 60}`);
  });

  it('keeps the newest N oldest→newest, and clears', () => {
    const sink = new RingBufferEventSink(2);
    const events = [started(1), started(2), started(3)];
    for (const e of events) sink.emit(e);
    expect(sink.events).toEqual([events[1], events[2]]);
    sink.clear();
    expect(sink.events).toEqual([]);
  });

  it('validates the capacity', () => {
    expect(() => new RingBufferEventSink(0)).toThrow(ValidationError);
    expect(() => new RingBufferEventSink(2.5)).toThrow(expect.objectContaining({ field: 'capacity' }));
  });
});

describe('FanOutEventSink', () => {
  it('delivers to every sink in order, isolating one that throws', () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const first = new RingBufferEventSink();
    const broken: EventSink = {
      emit: () => {
        throw new Error('disk on fire');
      },
    };
    const last = new RingBufferEventSink();
    const fan = new FanOutEventSink([first, broken, last]);
    const e = started(1);
    expect(() => fan.emit(e)).not.toThrow();
    expect(first.events).toEqual([e]);
    expect(last.events).toEqual([e]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ message: 'disk on fire' });
  });

  it('copies the sink list', () => {
    const list: EventSink[] = [new NoopEventSink()];
    const fan = new FanOutEventSink(list);
    list.push(new NoopEventSink());
    expect(fan.sinks).toHaveLength(1);
  });
});

describe('JsonLinesEventSink', () => {
  it('appends one wire-form object per line, readable back with AgentEvent.fromJSON', async () => {
    const path = file();
    const sink = new JsonLinesEventSink({ path });
    const events = [
      started(1),
      AgentEvent.failed('coder', 'build', 'rate_limit', 'line one\nline two'),
      started(3).withData({ nested: { ok: true } }),
    ];
    for (const e of events) sink.emit(e);
    await sink.close();
    const lines = readLines(path);
    expect(lines).toEqual(events.map((e) => e.toJSON()));
    expect(lines.map((l) => AgentEvent.fromJSON(l).toDict())).toEqual(events.map((e) => e.toDict()));
    expect(sink.dropped).toBe(0);
    expect(sink.path).toBe(path);
  });

  it('appends to an existing file rather than truncating it', async () => {
    const path = file();
    const a = new JsonLinesEventSink({ path });
    a.emit(started(1));
    await a.close();
    const b = new JsonLinesEventSink({ path: pathToFileURL(path) });
    b.emit(started(2));
    await b.close();
    expect(readLines(path).map((l) => l.role)).toEqual(['r1', 'r2']);
  });

  it('drops and counts events after close; close is idempotent', async () => {
    const path = file();
    const sink = new JsonLinesEventSink({ path });
    sink.emit(started(1));
    const closing = sink.close();
    expect(sink.close()).toBe(closing);
    sink.emit(started(2));
    await closing;
    sink.emit(started(3));
    expect(sink.dropped).toBe(2);
    expect(readLines(path)).toHaveLength(1);
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('drops (and counts) instead of buffering past maxBufferedBytes, reporting once', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const path = file();
    const sink = new JsonLinesEventSink({ path, maxBufferedBytes: 10 });
    // The file is still being opened, so the first line is buffered and the backlog is over the limit.
    for (let i = 0; i < 5; i++) sink.emit(started(i));
    expect(sink.dropped).toBe(4);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('dropping');
    await sink.close();
    expect(readLines(path).map((l) => l.role)).toEqual(['r0']);
  });

  it('accepts writes again once the backlog drains', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => {});
    const path = file();
    const sink = new JsonLinesEventSink({ path, maxBufferedBytes: 10 });
    sink.emit(started(0));
    sink.emit(started(1)); // dropped: backlog
    await sink.flush();
    expect(readLines(path).map((l) => l.role)).toEqual(['r0']);
    sink.emit(started(2));
    await sink.close();
    expect(readLines(path).map((l) => l.role)).toEqual(['r0', 'r2']);
    expect(sink.dropped).toBe(1);
  });

  it('reports an unwritable file through diag and never throws into the caller', async () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const path = join(tmp, 'no-such-dir', 'events.jsonl');
    const sink = new JsonLinesEventSink({ path });
    expect(() => sink.emit(started(1))).not.toThrow();
    await sink.close();
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0]?.[0])).toContain(path);
    expect(error.mock.calls[0]?.[1]).toMatchObject({ code: 'ENOENT' });
    sink.emit(started(2));
    expect(sink.dropped).toBe(1);
  });

  it('close resolves when the stream already failed', async () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const sink = new JsonLinesEventSink({ path: join(tmp, 'missing', 'x.jsonl') });
    await sink.flush(); // settles when the failed open destroys the stream
    expect(error).toHaveBeenCalledTimes(1);
    await expect(sink.flush()).resolves.toBeUndefined();
    sink.emit(started(1));
    expect(sink.dropped).toBe(1);
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('drops an event that cannot be serialised, reporting it, and keeps going', async () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const path = file();
    const sink = new JsonLinesEventSink({ path });
    sink.emit(started(1).withData({ big: 10n }));
    sink.emit(started(2));
    await sink.close();
    expect(sink.dropped).toBe(1);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('serialise'), expect.any(TypeError));
    expect(readLines(path).map((l) => l.role)).toEqual(['r2']);
  });

  it('validates its options', () => {
    expect(() => new JsonLinesEventSink({ path: '' })).toThrow(expect.objectContaining({ field: 'path' }));
    expect(() => new JsonLinesEventSink(undefined as never)).toThrow(
      expect.objectContaining({ field: 'path' }),
    );
    expect(() => new JsonLinesEventSink({ path: file(), maxBufferedBytes: 0 })).toThrow(
      expect.objectContaining({ field: 'maxBufferedBytes' }),
    );
  });
});
