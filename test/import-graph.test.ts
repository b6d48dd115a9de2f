/**
 * The module graph of src/ (issue 16: "tensor/ becomes the ground floor with no cycle"), read from
 * the sources with the TypeScript parser:
 * - nothing in src/tensor/ imports anything from src/ops/ (not even a type);
 * - the runtime imports (type-only imports left out: they vanish at build time) have no cycle;
 * - the Tensor methods, installed by src/ops/methods/*.ts, are reached from every entry point, and
 *   package.json `sideEffects` names each installing file, so bundlers keep them. It also names
 *   the re-exporting index files that import them (a bundler skips a side-effect-free module
 *   whose own exports are unused, and with it the imports it makes only for their effects), for
 *   dist/ (the package) and src/ (the repository's own bundles and test/bundle.test.ts) alike.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return f.endsWith('.ts') && !f.endsWith('.d.ts') ? [p] : [];
  });
}

function isTypeOnly(st: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(st)) return st.isTypeOnly || (st.exportClause !== undefined && ts.isNamedExports(st.exportClause) && st.exportClause.elements.length > 0 && st.exportClause.elements.every((e) => e.isTypeOnly));
  const c = st.importClause;
  if (c === undefined) return false; // `import './x.js'`: run for its side effects
  if (c.isTypeOnly) return true;
  const named = c.namedBindings;
  return c.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** src-relative path -> its relative imports (resolved to src-relative .ts paths). */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of sourceFiles(SRC)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    const edges: Edge[] = [];
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || st.moduleSpecifier === undefined) continue;
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      if (!spec.startsWith('.')) continue;
      edges.push({ to: relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))), typeOnly: isTypeOnly(st) });
    }
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** The strongly connected components with more than one file (Tarjan), over runtime imports. */
function cycles(graph: Map<string, Edge[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to, typeOnly } of graph.get(v) ?? []) {
      if (typeOnly || !graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Every file reachable from `from` through runtime imports. */
function reachable(graph: Map<string, Edge[]>, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const { to, typeOnly } of graph.get(todo.pop()!) ?? []) {
      if (!typeOnly && !seen.has(to)) {
        seen.add(to);
        todo.push(to);
      }
    }
  }
  return seen;
}

/** A package.json `sideEffects` glob (`*` within one path segment) as a RegExp. */
const globToRegExp = (g: string): RegExp => new RegExp(`^${g.replace(/^\.\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('reads the whole tree (a few hundred files, the Tensor class among them)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.has('tensor/tensor.ts')).toBe(true);
  });

  it('src/tensor/ imports nothing from src/ops/', () => {
    const wrong = [...graph].flatMap(([f, edges]) => (f.startsWith('tensor/') ? edges.filter((e) => e.to.startsWith('ops/')).map((e) => `${f} -> ${e.to}`) : []));
    expect(wrong).toEqual([]);
  });

  it('has no import cycle (runtime imports)', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('every entry point installs every Tensor method file, and package.json sideEffects keeps them', () => {
    const methodFiles = [...graph.keys()].filter((f) => f.startsWith('ops/methods/'));
    expect(methodFiles).toContain('ops/methods/matmul.ts');
    for (const entry of ['index.ts', 'nn/index.ts', 'node.ts']) {
      const seen = reachable(graph, entry);
      expect(methodFiles.filter((f) => !seen.has(f)), entry).toEqual([]);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { sideEffects: string[] };
    const globs = pkg.sideEffects.map(globToRegExp);
    for (const f of methodFiles) {
      expect(globs.some((g) => g.test(`src/${f}`)), `src/${f}`).toBe(true);
      expect(globs.some((g) => g.test(`dist/${f.replace(/\.ts$/, '.js')}`)), `dist/${f}`).toBe(true);
    }
    // The src/ list mirrors the dist/ list.
    const asDist = pkg.sideEffects.filter((g) => g.startsWith('./src/')).map((g) => g.replace('./src/', './dist/').replace(/\.ts$/, '.js'));
    expect(asDist.sort()).toEqual(pkg.sideEffects.filter((g) => g.startsWith('./dist/') && !g.startsWith('./dist/bundle/')).sort());
    // The Node bundle's files (tools/finish-build.mjs) install the methods inside shared chunks.
    expect(pkg.sideEffects).toContain('./dist/bundle/*.js');
  });
});
