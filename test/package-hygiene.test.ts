import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { semconv, VERSION } from '@agentrace/core';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const pkg = (name: string) => JSON.parse(read(`packages/${name}/package.json`));

describe('package hygiene', () => {
  it.each(['core', 'pricing', 'otel-exporter'])(
    '%s is publishable: name, MIT, engines, files, exports, no side effects',
    (name) => {
      const p = pkg(name);
      expect(p.name).toBe(`@agentrace/${name}`);
      expect(p.license).toBe('MIT');
      expect(p.type).toBe('module');
      expect(p.sideEffects).toBe(false);
      expect(p.engines.node).toMatch(name === 'ai-sdk' ? /^>=22/ : /^>=20\.19/);
      expect(p.files).toContain('dist');
      expect(p.exports['.'].types).toBe('./dist/index.d.ts');
      expect(p.exports['./package.json']).toBe('./package.json');
    },
  );

  it.each(['core', 'pricing'])(
    '%s takes @opentelemetry/api as a peer and depends on no OTel SDK package',
    (name) => {
      const p = pkg(name);
      const deps = Object.keys(p.dependencies ?? {});
      expect(deps).not.toContain('@opentelemetry/api');
      for (const dep of deps) {
        if (dep.startsWith('@opentelemetry/')) expect(dep).toBe('@opentelemetry/semantic-conventions');
      }
      if (name === 'core') {
        expect(p.peerDependencies['@opentelemetry/api']).toBe('>=1.9.0 <1.11.0');
      }
    },
  );

  it('reports the package version as the instrumentation scope version', () => {
    expect(VERSION).toBe(pkg('core').version);
  });

  it('documents every agentrace.* attribute and metric in the core README', () => {
    const readme = read('packages/core/README.md');
    const names = Object.entries(semconv)
      .filter(([key]) => /^(ATTR|METRIC)_AGENTRACE_/.test(key))
      .map(([, value]) => value as string);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});
