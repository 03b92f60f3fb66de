import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The layering of core's subsystems, read from the imports of every source file. A subsystem may import only
// the subsystems listed for it; the table itself must be acyclic, so imports run one way (common at the
// bottom, session on top). ARCHITECTURE.md at the repository root describes the same layers.
//
// `telemetry/` is two layers: its vocabulary (attribute names, redaction, the instrument set, the never-throw
// guard, the content-capture switch) is imported from everywhere and imports only `common`; its recorders
// (the session's spans, the breaker's metrics) sit above the subsystems they record. A new file in
// `telemetry/` is a recorder unless it is added to TELEMETRY_VOCABULARY.
const SRC = dirname(fileURLToPath(import.meta.url));

const TELEMETRY_VOCABULARY = new Set([
  'telemetry/semconv.ts',
  'telemetry/redact.ts',
  'telemetry/guard.ts',
  'telemetry/instruments.ts',
  'telemetry/content-capture.ts',
  'telemetry/message-content.ts',
  'telemetry/content-json.ts',
]);

/** What each subsystem may import (besides itself). `index` is the package entry point: it re-exports all. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  common: [],
  'telemetry-vocabulary': ['common'],
  usage: ['common'],
  adapters: ['common', 'telemetry-vocabulary', 'usage'],
  lifecycle: ['common', 'telemetry-vocabulary'],
  governance: ['common', 'lifecycle'],
  state: ['common', 'telemetry-vocabulary', 'usage'],
  breaker: ['common', 'telemetry-vocabulary', 'state'],
  recovery: ['common', 'telemetry-vocabulary', 'usage', 'lifecycle', 'breaker'],
  telemetry: [
    'common',
    'telemetry-vocabulary',
    'usage',
    'adapters',
    'lifecycle',
    'governance',
    'state',
    'breaker',
    'recovery',
  ],
  session: [
    'common',
    'telemetry-vocabulary',
    'usage',
    'adapters',
    'lifecycle',
    'governance',
    'state',
    'breaker',
    'recovery',
    'telemetry',
  ],
};

interface SourceFile {
  /** Path under `src`, with `/`. */
  readonly path: string;
  readonly test: boolean;
  /** Relative imports, resolved to paths under `src`. */
  readonly imports: readonly string[];
  /** Bare module names imported (packages). */
  readonly packages: readonly string[];
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function readSources(): SourceFile[] {
  return listFiles(SRC).map((full) => {
    const path = relative(SRC, full).split(sep).join('/');
    // Static, type-only, re-exports and dynamic `import()` alike: a type-only cycle is still a cycle.
    const info = ts.preProcessFile(readFileSync(full, 'utf8'), true, true);
    const imports: string[] = [];
    const packages: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        imports.push(posix.normalize(posix.join(posix.dirname(path), fileName)).replace(/\.js$/, '.ts'));
      } else {
        packages.push(fileName);
      }
    }
    return { path, test: path.endsWith('.test.ts'), imports, packages };
  });
}

/** The layer a file belongs to: its folder, `telemetry-vocabulary` for those files, `index` at the root. */
function subsystemOf(path: string): string {
  if (TELEMETRY_VOCABULARY.has(path)) return 'telemetry-vocabulary';
  const slash = path.indexOf('/');
  return slash < 0 ? 'index' : path.slice(0, slash);
}

/** Cycles of a directed graph (its strongly connected components with more than one node, or a self-loop). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** The file-size cap of shipped sources (about 500 lines, with room for TSDoc): a longer file holds two concepts. */
const MAX_SOURCE_LINES = 550;

const sources = readSources();
const shipped = sources.filter((file) => !file.test);

describe('core architecture', () => {
  it('reads the sources it checks', () => {
    // A broken walk would pass every rule below vacuously.
    expect(shipped.length).toBeGreaterThan(50);
    expect(shipped.some((file) => file.path === 'session/session.ts')).toBe(true);
  });

  it('places every folder of src in the layer table', () => {
    const folders = new Set(shipped.map((file) => subsystemOf(file.path)));
    folders.delete('index');
    expect([...folders].filter((folder) => !(folder in MAY_IMPORT))).toEqual([]);
  });

  it('has a layer table without a cycle, so imports run one way', () => {
    const graph = new Map(Object.entries(MAY_IMPORT));
    expect(cyclesOf(graph)).toEqual([]);
    for (const [layer, below] of graph) {
      expect(
        below.filter((name) => !(name in MAY_IMPORT)),
        `${layer} names an unknown layer`,
      ).toEqual([]);
    }
  });

  it('imports across subsystems only downwards, as the table allows', () => {
    const violations: string[] = [];
    for (const file of shipped) {
      const from = subsystemOf(file.path);
      if (from === 'index') continue;
      const allowed = MAY_IMPORT[from] ?? [];
      for (const target of file.imports) {
        const to = subsystemOf(target);
        if (to !== from && !allowed.includes(to))
          violations.push(`${file.path} (${from}) -> ${target} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle between source files', () => {
    const graph = new Map(shipped.map((file) => [file.path, file.imports]));
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('keeps tests and test helpers out of the shipped sources', () => {
    const leaks = shipped.flatMap((file) => [
      ...file.packages.filter((name) => name === 'vitest').map(() => `${file.path} imports vitest`),
      ...file.imports.filter((target) => target.endsWith('.test.ts')).map((t) => `${file.path} -> ${t}`),
      ...file.imports.filter((target) => target.startsWith('..')).map((t) => `${file.path} -> ${t}`),
    ]);
    expect(leaks).toEqual([]);
    expect(shipped.filter((file) => file.path.includes('test-helpers/')).map((file) => file.path)).toEqual(
      [],
    );
  });

  it('keeps every shipped source file under the size cap, one concept per file', () => {
    const over = shipped
      .map((file) => ({
        path: file.path,
        lines: readFileSync(join(SRC, file.path), 'utf8').split('\n').length,
      }))
      .filter((file) => file.lines > MAX_SOURCE_LINES)
      .map((file) => `${file.path}: ${file.lines} lines`);
    expect(over).toEqual([]);
  });

  it('describes every subsystem folder in a README saying what it owns and may import', () => {
    const folders = new Set(
      shipped.map((file) => file.path.split('/')[0] as string).filter((f) => !f.endsWith('.ts')),
    );
    for (const folder of folders) {
      const readme = readFileSync(join(SRC, folder, 'README.md'), 'utf8');
      expect(readme, folder).toContain('**May import:**');
      // The README names every layer the table lets this folder import.
      const layers = MAY_IMPORT[folder] ?? [];
      for (const layer of layers.filter((name) => name !== 'telemetry-vocabulary')) {
        expect(readme, `${folder}/README.md names ${layer}`).toContain(`\`${layer}\``);
      }
    }
  });

  it('finds a cycle and an upward import when there is one (the checks can fail)', () => {
    const cyclic = new Map([
      ['governance/a.ts', ['governance/b.ts']],
      ['governance/b.ts', ['governance/a.ts']],
      ['common/c.ts', []],
    ]);
    expect(cyclesOf(cyclic)).toEqual([['governance/a.ts', 'governance/b.ts']]);
    expect(MAY_IMPORT.common).not.toContain(subsystemOf('session/session.ts'));
    expect(subsystemOf('telemetry/semconv.ts')).toBe('telemetry-vocabulary');
    expect(subsystemOf('telemetry/session-telemetry.ts')).toBe('telemetry');
  });
});
