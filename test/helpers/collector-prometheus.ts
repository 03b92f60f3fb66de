/**
 * An emulation of the OpenTelemetry Collector (contrib) Prometheus exporter, for tests that cannot run the
 * Collector itself (no Docker here): it takes the OTLP metric exports a Collector would receive (decoded to the
 * OTLP/JSON shape by otlp-proto.ts) and serves them as the exporter's `/metrics` page, so a real Prometheus can
 * scrape what the docker-compose stack's Prometheus would.
 *
 * It follows the exporter's rules as its source states them (exporter/prometheusexporter/collector.go and
 * accumulator.go in opentelemetry-collector-contrib, names through github.com/prometheus/otlptranslator with the
 * default strategy, UnderscoreEscapingWithSuffixes):
 * - metric names: split on every character outside `[a-zA-Z0-9:]`, joined with `_`; the unit appended through the
 *   translator's unit map (`s` → `seconds`, `By` → `bytes`, …; a unit in braces such as `{token}` adds nothing;
 *   `a/b` → `a_per_b`), unless the name already has that token; monotonic sums end in `_total`, gauges of unit
 *   `1` in `_ratio`; non-monotonic sums are gauges;
 * - labels: the point's attributes (characters outside `[a-zA-Z0-9_]` become `_`, a leading digit gets `key_`),
 *   then `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url`, `job` (`service.namespace/service.name`
 *   or `service.name`) and `instance` (`service.instance.id`) from the resource;
 * - `target_info` per resource with the other resource attributes as labels, value 1;
 * - the accumulator keeps the latest cumulative point of each series (by metric, attributes and resource).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeAttributes, type OtlpAttr } from './otlp.js';

const UNIT_MAP: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};
const PER_UNIT_MAP: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

type MetricType = 'counter' | 'gauge' | 'histogram';

const cleanUnit = (u: string) =>
  u
    .replace(/[^a-zA-Z0-9:]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_/, '');

/** The Prometheus name of an OTLP metric, as the Collector's exporter builds it. */
export function collectorMetricName(name: string, unit: string, type: MetricType | 'non-monotonic'): string {
  let tokens = name.split(/[^a-zA-Z0-9:]/).filter((t) => t !== '');
  const [mainRaw = '', perRaw] = unit.split('/', 2) as [string, string | undefined];
  const main = mainRaw.trim();
  let mainSuffix = main !== '' && !/[{}]/.test(main) ? (UNIT_MAP[main] ?? main) : '';
  let perSuffix = '';
  if (perRaw !== undefined && perRaw.trim() !== '' && !/[{}]/.test(perRaw)) {
    perSuffix = `per_${PER_UNIT_MAP[perRaw.trim()] ?? perRaw.trim()}`;
  }
  mainSuffix = cleanUnit(mainSuffix);
  perSuffix = cleanUnit(perSuffix);
  if (tokens.includes(mainSuffix)) mainSuffix = '';
  if (perSuffix === 'per_') perSuffix = '';
  else {
    perSuffix = perSuffix.replace(/_$/, '');
    if (tokens.includes(perSuffix)) perSuffix = '';
  }
  if (perSuffix !== '') mainSuffix = mainSuffix.replace(/_$/, '');
  if (mainSuffix !== '') tokens.push(mainSuffix);
  if (perSuffix !== '') tokens.push(perSuffix);
  if (type === 'counter') tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && type === 'gauge') tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
  const joined = tokens.join('_');
  return /^\d/.test(joined) ? `_${joined}` : joined;
}

/** A label name, as the Collector's exporter builds it. */
export function collectorLabelName(key: string): string {
  const sanitized = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^\d/.test(sanitized) ? `key_${sanitized}` : sanitized;
}

interface Point {
  attributes?: OtlpAttr[];
  timeUnixNano?: number;
  asDouble?: number;
  asInt?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}
interface Metric {
  name: string;
  description?: string;
  unit?: string;
  sum?: { dataPoints: Point[]; isMonotonic?: boolean };
  gauge?: { dataPoints: Point[] };
  histogram?: { dataPoints: Point[] };
}
interface ExportBody {
  resourceMetrics?: Array<{
    resource?: { attributes?: OtlpAttr[] };
    scopeMetrics?: Array<{
      scope?: { name?: string; version?: string };
      schemaUrl?: string;
      metrics?: Metric[];
    }>;
  }>;
}

interface Series {
  name: string;
  type: MetricType;
  help: string;
  labels: Record<string, string>;
  point: Point;
}

const text = (v: unknown) => (typeof v === 'string' ? v : String(v));
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function jobAndInstance(resource: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const name = resource['service.name'];
  if (name !== undefined) {
    const ns = resource['service.namespace'];
    out.job = ns !== undefined ? `${text(ns)}/${text(name)}` : text(name);
  }
  if (resource['service.instance.id'] !== undefined) out.instance = text(resource['service.instance.id']);
  return out;
}

/** Keeps the latest point of every series, as the exporter's accumulator does, and renders the scrape page. */
export class CollectorPrometheusExporter {
  readonly #series = new Map<string, Series>();
  readonly #targets = new Map<string, Record<string, string>>();

  /** Takes one OTLP metrics export request (OTLP/JSON shape). */
  accept(body: unknown): void {
    for (const rm of (body as ExportBody).resourceMetrics ?? []) {
      const resource = decodeAttributes(rm.resource?.attributes);
      const identity = jobAndInstance(resource);
      const target: Record<string, string> = { ...identity };
      for (const [k, v] of Object.entries(resource)) {
        if (k === 'service.name' || k === 'service.namespace' || k === 'service.instance.id') continue;
        target[collectorLabelName(k)] = text(v);
      }
      this.#targets.set(JSON.stringify(Object.entries(target).sort()), target);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) this.#acceptMetric(m, sm, identity, resource);
      }
    }
  }

  #acceptMetric(
    m: Metric,
    sm: NonNullable<NonNullable<ExportBody['resourceMetrics']>[number]['scopeMetrics']>[number],
    identity: Record<string, string>,
    resource: Record<string, unknown>,
  ): void {
    let type: MetricType;
    let points: Point[];
    let nameType: MetricType | 'non-monotonic';
    if (m.histogram) {
      type = 'histogram';
      nameType = 'histogram';
      points = m.histogram.dataPoints;
    } else if (m.sum) {
      type = m.sum.isMonotonic ? 'counter' : 'gauge';
      nameType = m.sum.isMonotonic ? 'counter' : 'non-monotonic';
      points = m.sum.dataPoints;
    } else if (m.gauge) {
      type = 'gauge';
      nameType = 'gauge';
      points = m.gauge.dataPoints;
    } else return;
    const name = collectorMetricName(m.name, m.unit ?? '', nameType);
    for (const p of points) {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(decodeAttributes(p.attributes)))
        labels[collectorLabelName(k)] = text(v);
      labels.otel_scope_name = sm.scope?.name ?? '';
      labels.otel_scope_version = sm.scope?.version ?? '';
      labels.otel_scope_schema_url = sm.schemaUrl ?? '';
      Object.assign(labels, identity);
      const key = JSON.stringify([name, Object.entries(labels).sort(), Object.entries(resource).sort()]);
      const previous = this.#series.get(key);
      if (previous && (previous.point.timeUnixNano ?? 0) > (p.timeUnixNano ?? 0)) continue;
      this.#series.set(key, { name, type, help: m.description ?? '', labels, point: p });
    }
  }

  /** The `/metrics` page (Prometheus text format 0.0.4). */
  render(): string {
    const lines: string[] = [];
    if (this.#targets.size > 0) {
      lines.push('# HELP target_info Target metadata', '# TYPE target_info gauge');
      for (const t of this.#targets.values()) lines.push(`target_info${labelText(t)} 1`);
    }
    const families = new Map<string, Series[]>();
    for (const s of this.#series.values()) families.set(s.name, [...(families.get(s.name) ?? []), s]);
    for (const [name, series] of families) {
      const first = series[0] as Series;
      lines.push(`# HELP ${name} ${escapeLabel(first.help)}`, `# TYPE ${name} ${first.type}`);
      for (const s of series) {
        const p = s.point;
        if (s.type !== 'histogram') {
          lines.push(`${name}${labelText(s.labels)} ${p.asDouble ?? p.asInt ?? 0}`);
          continue;
        }
        let cumulative = 0;
        const bounds = p.explicitBounds ?? [];
        bounds.forEach((le, i) => {
          cumulative += p.bucketCounts?.[i] ?? 0;
          lines.push(`${name}_bucket${labelText({ ...s.labels, le: String(le) })} ${cumulative}`);
        });
        lines.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${p.count ?? 0}`);
        lines.push(`${name}_sum${labelText(s.labels)} ${p.sum ?? 0}`);
        lines.push(`${name}_count${labelText(s.labels)} ${p.count ?? 0}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Serves `exporter.render()` at `/metrics` on loopback, as the Collector serves its exporter on :8889. */
export async function serveCollectorExporter(exporter: CollectorPrometheusExporter) {
  let scrapes = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    scrapes += 1;
    res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(exporter.render());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    get scrapes() {
      return scrapes;
    },
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
