import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';

// The golden copy of @agentrace/core's public surface. Moving or splitting files inside the package must not
// change it. A deliberate API change regenerates it with `UPDATE_PUBLIC_API=1 npx vitest run <this file>` (then
// `npx biome check --write` it), and the diff of the JSON file shows the change in review.
const GOLDEN = fileURLToPath(new URL('./public-api.golden.json', import.meta.url));
const INDEX = fileURLToPath(new URL('./index.ts', import.meta.url));
const ROOT_TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

interface PublicApi {
  runtime: Record<string, string>;
  declarations: Record<string, DeclaredSymbol>;
}

interface DeclaredSymbol {
  kinds: string[];
  value?: string;
  type?: string;
  constructors?: string[];
  statics?: string[];
  members?: string[];
  exports?: Record<string, DeclaredSymbol>;
}

const NODE_FLAGS =
  ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.IgnoreErrors | ts.NodeBuilderFlags.InTypeAlias;

/** The runtime export list: every name and what `typeof` says it is. */
function runtimeSurface(): Record<string, string> {
  const entries = Object.keys(core)
    .sort()
    .map((name) => [name, typeof (core as Record<string, unknown>)[name]] as const);
  return Object.fromEntries(entries);
}

/** The declared surface, as the compiler sees the index: each export's kinds, types and public members. */
function declaredSurface(): Record<string, DeclaredSymbol> {
  const config = ts.readConfigFile(ROOT_TSCONFIG, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(ROOT_TSCONFIG));
  const program = ts.createProgram([INDEX], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(INDEX);
  if (!source) throw new Error(`the compiler did not load ${INDEX}`);
  const diagnostics = ts.getPreEmitDiagnostics(program, source);
  if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, ts.createCompilerHost({})));
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error('the index is not a module');

  // The checker orders a union's members by when it first met each type, which follows the order the files
  // were loaded in; a moved file would reorder them. So unions are printed sorted, at every depth.
  const printer = ts.createPrinter({ removeComments: true });
  const sortUnions = (context: ts.TransformationContext) => {
    const visit = (node: ts.Node): ts.Node => {
      const inner = ts.visitEachChild(node, visit, context);
      if (!ts.isUnionTypeNode(inner)) return inner;
      const sorted = [...inner.types].sort((a, b) => print(a).localeCompare(print(b)));
      return ts.factory.createUnionTypeNode(sorted);
    };
    return (node: ts.Node) => ts.visitNode(node, visit) as ts.Node;
  };
  const print = (node: ts.Node): string => printer.printNode(ts.EmitHint.Unspecified, node, source);
  const normalised = (node: ts.Node | undefined) => {
    if (!node) return '?';
    const [out] = ts.transform(node, [sortUnions]).transformed;
    // Paths of internal files must not leak into the snapshot: a moved file is no change of API.
    return print(out ?? node)
      .replace(/import\("[^"]*"\)\./g, '')
      .replace(/\s+/g, ' ');
  };
  const typeText = (type: ts.Type) => normalised(checker.typeToTypeNode(type, undefined, NODE_FLAGS));
  const signatureText = (sig: ts.Signature) =>
    normalised(
      checker.signatureToSignatureDeclaration(sig, ts.SyntaxKind.FunctionType, undefined, NODE_FLAGS),
    );

  const isPublic = (symbol: ts.Symbol) => {
    if (symbol.name.startsWith('#') || symbol.name.startsWith('__')) return false;
    return !(symbol.declarations ?? []).some(
      (d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected),
    );
  };
  const membersOf = (type: ts.Type, skip: ReadonlySet<string> = new Set()) => {
    const members = checker
      .getPropertiesOfType(type)
      .filter((p) => isPublic(p) && !skip.has(p.name))
      .map((p) => {
        const readonly = (p.declarations ?? []).some(
          (d) => ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly,
        );
        const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
        return `${readonly ? 'readonly ' : ''}${p.name}${optional}: ${typeText(checker.getTypeOfSymbol(p))}`;
      });
    for (const sig of type.getCallSignatures()) members.push(`(call) ${signatureText(sig)}`);
    for (const info of checker.getIndexInfosOfType(type)) {
      members.push(`[key: ${typeText(info.keyType)}]: ${typeText(info.type)}`);
    }
    return members.sort();
  };

  const describeSymbol = (exported: ts.Symbol): DeclaredSymbol => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const f = symbol.flags;
    const kinds: string[] = [];
    if (f & ts.SymbolFlags.Class) kinds.push('class');
    if (f & ts.SymbolFlags.Function) kinds.push('function');
    if (f & ts.SymbolFlags.Variable) kinds.push('variable');
    if (f & ts.SymbolFlags.Interface) kinds.push('interface');
    if (f & ts.SymbolFlags.TypeAlias) kinds.push('type');
    if (f & ts.SymbolFlags.Enum) kinds.push('enum');
    if (f & ts.SymbolFlags.ValueModule) kinds.push('namespace');
    const out: DeclaredSymbol = { kinds };
    if (f & ts.SymbolFlags.ValueModule) {
      const inner = checker.getExportsOfModule(symbol).sort((a, b) => a.name.localeCompare(b.name));
      out.exports = Object.fromEntries(inner.map((s) => [s.name, describeSymbol(s)]));
      return out;
    }
    if (f & ts.SymbolFlags.Class) {
      const statics = checker.getTypeOfSymbol(symbol);
      out.constructors = statics.getConstructSignatures().map(signatureText);
      out.statics = membersOf(statics, new Set(['prototype']));
      out.members = membersOf(checker.getDeclaredTypeOfSymbol(symbol));
      return out;
    }
    if (f & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
      out.value = typeText(checker.getTypeOfSymbol(symbol));
    }
    if (f & ts.SymbolFlags.Interface) {
      out.members = membersOf(checker.getDeclaredTypeOfSymbol(symbol));
    } else if (f & ts.SymbolFlags.TypeAlias) {
      const declared = checker.getDeclaredTypeOfSymbol(symbol);
      out.type = typeText(declared);
      if (declared.flags & ts.TypeFlags.Object) out.members = membersOf(declared);
    }
    return out;
  };

  const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
  return Object.fromEntries(exported.map((s) => [s.name, describeSymbol(s)]));
}

describe('the public API of @agentrace/core', () => {
  const golden = (): PublicApi => {
    if (!existsSync(GOLDEN))
      throw new Error(`no golden copy at ${GOLDEN}; create it with UPDATE_PUBLIC_API=1`);
    return JSON.parse(readFileSync(GOLDEN, 'utf8')) as PublicApi;
  };

  if (process.env['UPDATE_PUBLIC_API'] === '1') {
    it('writes the golden copy', () => {
      const api: PublicApi = { runtime: runtimeSurface(), declarations: declaredSurface() };
      writeFileSync(GOLDEN, `${JSON.stringify(api, null, 2)}\n`);
      expect(Object.keys(api.runtime).length).toBeGreaterThan(100);
    }, 120_000);
    return;
  }

  it('exports the same runtime names, each of the same kind, as the golden copy', () => {
    const runtime = runtimeSurface();
    expect(Object.keys(runtime).length).toBeGreaterThan(100);
    expect(runtime).toEqual(golden().runtime);
  });

  it('declares the same names, kinds, types and public members as the golden copy', () => {
    const declarations = declaredSurface();
    // The runtime names are a subset of the declared ones: nothing exported at runtime escapes the snapshot.
    for (const name of Object.keys(runtimeSurface())) expect(declarations, name).toHaveProperty(name);
    expect(declarations).toEqual(golden().declarations);
  }, 120_000);
});
