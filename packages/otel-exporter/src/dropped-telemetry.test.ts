import { describe, expect, it } from 'vitest';
import { DroppedTelemetry, describeExportError, displayUrl } from './dropped-telemetry.js';

describe('DroppedTelemetry', () => {
  it('counts every drop and reports only the first, with its reason', () => {
    const reports: string[] = [];
    const dropped = new DroppedTelemetry((m) => reports.push(m));
    expect(dropped.reported).toBe(false);
    dropped.spans(3, 'export of spans to http://c/v1/traces failed: ECONNREFUSED');
    dropped.spans(2, 'another reason');
    dropped.metricExport(7, 'export of metrics failed: HTTP 500');
    dropped.spans(0, 'nothing');
    expect(dropped.counts()).toEqual({ spans: 5, metricExports: 1, metricPoints: 7 });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain('ECONNREFUSED');
    expect(reports[0]).toContain('not reported again');
    expect(dropped.reported).toBe(true);
  });

  it('survives a reporter that throws', () => {
    const dropped = new DroppedTelemetry(() => {
      throw new Error('logger down');
    });
    expect(() => dropped.metricExport(1, 'x')).not.toThrow();
    expect(dropped.counts().metricExports).toBe(1);
  });
});

describe('describeExportError', () => {
  it('names the HTTP status, the network code and the message', () => {
    expect(describeExportError(Object.assign(new Error('Internal Server Error'), { code: 500 }))).toBe(
      'HTTP 500 Internal Server Error',
    );
    expect(
      describeExportError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe('connect ECONNREFUSED 127.0.0.1:9');
    // Node's dual-stack connect failure: an AggregateError with a code and no message.
    expect(describeExportError(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED',
    );
    // A gRPC status error: its code is the gRPC status, not an HTTP one.
    expect(
      describeExportError(
        Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 }),
      ),
    ).toBe('gRPC 14 UNAVAILABLE: No connection established');
    expect(describeExportError(new TypeError(''))).toBe('TypeError');
    expect(describeExportError(undefined)).toBe('unknown error');
    expect(describeExportError('boom')).toBe('boom');
  });
});

describe('displayUrl', () => {
  it('drops credentials and query strings from URLs shown in messages', () => {
    expect(displayUrl('https://user:secret@collector:4318/v1/traces?token=abc')).toBe(
      'https://collector:4318/v1/traces',
    );
    expect(displayUrl('not a url')).toBe('(invalid URL)');
  });
});
