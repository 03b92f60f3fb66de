/**
 * The docker-compose stack, checked for real without a Docker engine: Debian's `docker-compose config` validates
 * the compose file, `promtool check config` the Prometheus config, a real YAML parser (PyYAML, which
 * docker-compose itself runs on) reads the Grafana provisioning files, and the dashboard's data sources, mounts and
 * panels are checked against them. (Each panel's PromQL runs against a real Prometheus in e2e-prometheus.test.ts.)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SERVICE_NAME } from '../examples/demo/run-demo.js';
import { STACK_OTLP_ENDPOINT } from '../examples/demo/stack.js';
import { promtool } from './helpers/prometheus.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const at = (path: string) => join(ROOT, path);

function run(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

// docker-compose runs on the system Python with PyYAML (a dependency of Debian's package); use the same one.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Parses YAML text with PyYAML's safe loader. */
async function parseYaml(text: string): Promise<unknown> {
  const { code, stdout, stderr } = await run(
    PYTHON,
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'],
    text,
  );
  if (code !== 0) throw new Error(`YAML did not parse: ${stderr}`);
  return JSON.parse(stdout);
}

interface ComposeService {
  image: string;
  ports?: Array<{ target: number; published: number | string }>;
  /** `source:target[:ro]` (docker-compose 1.x) or the long form (Compose v2). */
  volumes?: Array<string | { source: string; target: string; read_only?: boolean }>;
  environment?: Record<string, string>;
  extra_hosts?: string[];
  command?: string[];
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

let compose: { services: Record<string, ComposeService> };

beforeAll(async () => {
  const { code, stdout, stderr } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config']);
  expect(stderr, 'docker-compose config').not.toMatch(/ERROR/);
  expect(code).toBe(0);
  compose = (await parseYaml(stdout)) as typeof compose;
}, 30_000);

/** A volume in one shape, whichever form `docker-compose config` printed. */
function volume(v: NonNullable<ComposeService['volumes']>[number]) {
  if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true };
  const [source = '', target = '', mode = ''] = v.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro') };
}

const published = (svc: ComposeService | undefined) =>
  (svc?.ports ?? []).map((p) => `${p.published}:${p.target}`).sort();

describe('docker-compose.yml', () => {
  it('is valid for docker-compose and runs a Collector, Jaeger, Prometheus, Grafana and Redis on pinned images', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'collector-probe',
      'grafana',
      'jaeger',
      'otel-collector',
      'prometheus',
      'redis',
    ]);
    expect(compose.services['otel-collector']?.image).toMatch(
      /^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/,
    );
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.image, name).toMatch(/:[0-9v][\w.-]*$/);
    }
  });

  it('publishes the ports the demo and the README use: OTLP on the Collector only', () => {
    const otlpPort = new URL(STACK_OTLP_ENDPOINT).port;
    expect(published(compose.services['otel-collector'])).toEqual(
      [`${otlpPort}:4318`, '4317:4317', '13133:13133'].sort(),
    );
    expect(published(compose.services.jaeger)).toEqual(['16686:16686']);
    expect(compose.services.jaeger?.command).toEqual(
      expect.arrayContaining(['--set=receivers.otlp.protocols.grpc.endpoint=0.0.0.0:4317']),
    );
    expect(published(compose.services.prometheus)).toEqual(['9090:9090']);
    expect(published(compose.services.grafana)).toEqual(['3000:3000']);
    expect(published(compose.services.redis)).toEqual(['6379:6379']);
  });

  it('health-checks the Collector through its health_check extension, and starts Prometheus once it is healthy', () => {
    const collector = compose.services['otel-collector'];
    const test = collector?.healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD');
    expect(test.join(' ')).toMatch(/^CMD \/probe\/busybox wget .*http:\/\/127\.0\.0\.1:13133\/$/);
    expect(collector?.depends_on?.['collector-probe']?.condition).toBe('service_completed_successfully');
    expect(compose.services['collector-probe']?.command).toEqual(['cp', '/bin/busybox', '/probe/busybox']);
    expect(compose.services['collector-probe']?.image).toMatch(/^busybox:[\d.]+-musl$/);
    expect(compose.services.prometheus?.depends_on?.['otel-collector']?.condition).toBe('service_healthy');
  });

  it('mounts the repository stack/ files where Prometheus and Grafana read them', () => {
    const mounts = (svc: string) =>
      Object.fromEntries(
        (compose.services[svc]?.volumes ?? []).map(volume).map((v) => [v.target, relative(ROOT, v.source)]),
      );
    expect(mounts('prometheus')).toEqual({
      '/etc/prometheus/prometheus.yml': 'stack/prometheus/prometheus.yml',
    });
    expect(compose.services.prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mounts('otel-collector')).toMatchObject({
      '/etc/otelcol-contrib/config.yaml': 'stack/otel-collector/config.yaml',
    });
    expect(compose.services['otel-collector']?.command).toEqual([
      '--config=/etc/otelcol-contrib/config.yaml',
    ]);
    expect(mounts('grafana')).toEqual({
      '/etc/grafana/provisioning': 'stack/grafana/provisioning',
      '/var/lib/grafana/dashboards': 'stack/grafana/dashboards',
    });
    for (const svc of Object.values(compose.services)) {
      // Bind mounts of the repository's files, read-only (named volumes, like the probe's, are not files).
      for (const v of (svc.volumes ?? []).map(volume).filter((x) => x.source.startsWith('/'))) {
        expect(existsSync(v.source), v.source).toBe(true);
        expect(v.readOnly, v.target).toBe(true);
      }
    }
    const home = compose.services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(home.startsWith('/var/lib/grafana/dashboards/')).toBe(true);
    expect(
      existsSync(at(`stack/grafana/dashboards/${home.slice('/var/lib/grafana/dashboards/'.length)}`)),
    ).toBe(true);
  });
});

describe('stack/otel-collector/config.yaml', () => {
  interface CollectorConfig {
    extensions: Record<string, { endpoint?: string } | null>;
    receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
    processors: Record<string, unknown>;
    exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
    service: {
      extensions: string[];
      pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
    };
  }
  let config: CollectorConfig;
  beforeAll(async () => {
    config = (await parseYaml(
      await readFile(at('stack/otel-collector/config.yaml'), 'utf8'),
    )) as CollectorConfig;
  });

  it('receives OTLP over gRPC and HTTP on every interface, on the ports compose publishes', () => {
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('sends traces to Jaeger and metrics to the Prometheus exporter, through defined components only', () => {
    const { pipelines } = config.service;
    expect(Object.keys(pipelines).sort()).toEqual(['metrics', 'traces']);
    expect(pipelines.traces?.exporters).toEqual(['otlp/jaeger']);
    expect(pipelines.metrics?.exporters).toEqual(['prometheus']);
    for (const [name, p] of Object.entries(pipelines)) {
      for (const r of p.receivers) expect(Object.keys(config.receivers), `${name} ${r}`).toContain(r);
      for (const x of p.processors) expect(Object.keys(config.processors), `${name} ${x}`).toContain(x);
      for (const e of p.exporters) expect(Object.keys(config.exporters), `${name} ${e}`).toContain(e);
      // The memory limiter has to come first to protect the rest of the pipeline.
      expect(p.processors[0]).toBe('memory_limiter');
    }
    const jaeger = config.exporters['otlp/jaeger'];
    expect(jaeger?.endpoint).toBe('jaeger:4317');
    expect(jaeger?.tls?.insecure).toBe(true);
    expect(compose.services.jaeger?.command).toContain(
      '--set=receivers.otlp.protocols.grpc.endpoint=0.0.0.0:4317',
    );
  });

  it('serves the health check the compose health check asks', () => {
    expect(config.service.extensions).toEqual(['health_check']);
    expect(config.extensions.health_check?.endpoint).toBe('0.0.0.0:13133');
  });
});

describe('stack/prometheus/prometheus.yml', () => {
  it('passes promtool check config (Prometheus 2.42)', async () => {
    const { code, stdout, stderr } = await promtool([
      'check',
      'config',
      at('stack/prometheus/prometheus.yml'),
    ]);
    expect(`${stdout}${stderr}`).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it("scrapes the Collector's Prometheus exporter, keeping the job and instance it sets", async () => {
    const config = (await parseYaml(await readFile(at('stack/prometheus/prometheus.yml'), 'utf8'))) as {
      scrape_configs: Array<{
        job_name: string;
        honor_labels?: boolean;
        metrics_path?: string;
        static_configs: Array<{ targets: string[] }>;
      }>;
    };
    const job = config.scrape_configs.find((j) => j.job_name === 'otel-collector');
    expect(job?.honor_labels).toBe(true);
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    const collector = (await parseYaml(await readFile(at('stack/otel-collector/config.yaml'), 'utf8'))) as {
      exporters: { prometheus: { endpoint: string } };
    };
    const port = collector.exporters.prometheus.endpoint.split(':').at(-1);
    expect(job?.static_configs.flatMap((s) => s.targets)).toEqual([`otel-collector:${port}`]);
    expect(Object.keys(compose.services)).toContain('otel-collector');
    // Nothing scrapes the demo directly: its metrics arrive through the Collector, and twice would double them.
    expect(config.scrape_configs.map((j) => j.job_name).sort()).toEqual(['otel-collector', 'prometheus']);
  });

  it('is refused by promtool when broken, so the check above means something', async () => {
    const { code } = await promtool(['check', 'config', '/dev/null/nope.yml']);
    expect(code).not.toBe(0);
  });
});

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{
    refId: string;
    expr?: string;
    queryType?: string;
    service?: string;
    datasource?: { type: string; uid: string };
  }>;
}

describe('Grafana provisioning and the dashboard', () => {
  let datasources: Datasource[];
  let dashboard: { uid: string; title: string; panels: Panel[] };

  beforeAll(async () => {
    const ds = (await parseYaml(
      await readFile(at('stack/grafana/provisioning/datasources/datasources.yml'), 'utf8'),
    )) as { apiVersion: number; datasources: Datasource[] };
    expect(ds.apiVersion).toBe(1);
    datasources = ds.datasources;
    dashboard = JSON.parse(
      await readFile(at('stack/grafana/dashboards/agent-cost-and-reliability.json'), 'utf8'),
    );
  });

  it('provisions both data sources at the compose service addresses', () => {
    expect(datasources.map((d) => [d.uid, d.type, d.url])).toEqual([
      ['prometheus', 'prometheus', 'http://prometheus:9090'],
      ['jaeger', 'jaeger', 'http://jaeger:16686'],
    ]);
    for (const d of datasources) expect(compose.services[new URL(d.url).hostname], d.name).toBeDefined();
  });

  it('provisions the dashboards directory that compose mounts', async () => {
    const providers = (await parseYaml(
      await readFile(at('stack/grafana/provisioning/dashboards/dashboards.yml'), 'utf8'),
    )) as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers.map((p) => [p.type, p.options.path])).toEqual([
      ['file', '/var/lib/grafana/dashboards'],
    ]);
  });

  it('names only provisioned data sources, and uses both', () => {
    const used = new Set<string>();
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      for (const ref of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
        expect(ref, p.title).toBeDefined();
        const ds = datasources.find((d) => d.uid === ref?.uid);
        expect(ds?.type, `${p.title}: ${ref?.uid}`).toBe(ref?.type);
        used.add(ref?.uid as string);
      }
    }
    expect([...used].sort()).toEqual(['jaeger', 'prometheus']);
  });

  it('has the panels the stack promises, each laid out and queried', () => {
    expect(dashboard.title).toBe('Agent cost and reliability');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    const titles = panels.map((p) => p.title.toLowerCase());
    for (const wanted of [
      'cost by model and agent',
      'tokens by type',
      'turn latency percentiles',
      'recovery attempts by scenario',
      'circuit breaker state',
      'session outcomes',
    ]) {
      expect(
        titles.some((t) => t.startsWith(wanted)),
        wanted,
      ).toBe(true);
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        if (t.datasource?.type === 'prometheus') expect(t.expr, p.title).toMatch(/\S/);
      }
    }
    const latency = panels.find((p) => p.title === 'Turn latency percentiles');
    expect(latency?.targets?.map((t) => t.expr?.match(/histogram_quantile\(([\d.]+)/)?.[1])).toEqual([
      '0.5',
      '0.95',
      '0.99',
    ]);
    const traces = panels.find((p) => p.datasource?.type === 'jaeger');
    expect(traces?.targets?.[0]).toMatchObject({ queryType: 'search', service: DEMO_SERVICE_NAME });
  });
});

describe('the stack scripts', () => {
  it('start the stack and run the demo against it with one command', async () => {
    const pkg = JSON.parse(await readFile(at('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBe('pnpm run build && tsx examples/demo/main.ts');
    expect(pkg.scripts['stack:demo']).toMatch(
      /^docker compose up -d && .*tsx examples\/demo\/main\.ts --stack$/,
    );
    expect(pkg.scripts['stack:down']).toBe('docker compose down');
  });
});
