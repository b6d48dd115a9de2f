/**
 * Every public export (of `torchlet`, through its namespaces `nn`, `optim`, `io`, `onnx`, ..., and
 * of `torchlet/node`) has a doc comment, and the comment names its PyTorch twin (`PyTorch:`,
 * `torch.…`) or says it has none ("No PyTorch twin"). These comments are what the TypeDoc reference
 * (`npm run docs`) and editors show. `@internal` exports are exempt (TypeDoc hides them).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { exports: Record<string, string | { types?: string }> };
// Every entry point of the package (its exports map): `.` -> src/index.ts, `./nn` -> src/nn/index.ts, ...
const PREFIX = new Map(
  Object.entries(pkg.exports).flatMap(([sub, v]) =>
    typeof v === 'object' && v.types ? [[v.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'), sub === '.' ? 'torch.' : `torchlet/${sub.slice(2)}: `] as const] : [],
  ),
);
const ENTRIES = [...PREFIX.keys()];

interface Export {
  name: string;
  doc: string;
  internal: boolean;
}

const program = ts.createProgram(
  ENTRIES.map((e) => ROOT + e),
  { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, types: ['node'] },
);

function publicExports(): Export[] {
  const checker = program.getTypeChecker();
  const out: Export[] = [];
  const seen = new Set<ts.Symbol>();
  const walk = (moduleSymbol: ts.Symbol, prefix: string): void => {
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const name = `${prefix}${exp.name}`;
      if (target.flags & ts.SymbolFlags.ValueModule && target.declarations?.some((d) => ts.isSourceFile(d))) {
        if (!seen.has(target)) {
          seen.add(target);
          walk(target, `${name}.`);
        }
        continue;
      }
      const doc = ts.displayPartsToString(exp.getDocumentationComment(checker)) || ts.displayPartsToString(target.getDocumentationComment(checker));
      const tags = [...exp.getJsDocTags(checker), ...target.getJsDocTags(checker)];
      out.push({ name, doc, internal: tags.some((t) => t.name === 'internal') });
    }
  };
  for (const e of ENTRIES) {
    const file = program.getSourceFile(ROOT + e)!;
    walk(checker.getSymbolAtLocation(file)!, PREFIX.get(e)!);
  }
  return out;
}

describe('doc comments of the public API', () => {
  const exports = publicExports();

  it('covers every entry point of the exports map, as the TypeDoc reference does', () => {
    expect(ENTRIES).toEqual(expect.arrayContaining(['src/index.ts', 'src/nn/index.ts', 'src/node.ts']));
    const typedoc = JSON.parse(readFileSync(`${ROOT}typedoc.json`, 'utf8')) as { entryPoints: string[] };
    expect([...typedoc.entryPoints].sort()).toEqual([...ENTRIES].sort());
  });

  it('finds the public API (a few hundred names, through the namespaces)', () => {
    expect(exports.length).toBeGreaterThan(250);
    const names = exports.map((e) => e.name);
    for (const n of ['torch.nn.LSTM', 'torch.nn.utils.rnn.packPaddedSequence', 'torch.optim.Adam', 'torch.onnx.export', 'torch.Tensor', 'torchlet/node: loadFile']) expect(names).toContain(n);
  });

  it('every public export has a doc comment', () => {
    expect(exports.filter((e) => !e.internal && e.doc.trim() === '').map((e) => e.name)).toEqual([]);
  });

  it('every doc comment names the PyTorch twin, or says there is none', () => {
    expect(exports.filter((e) => !e.internal && e.doc.trim() !== '' && !/PyTorch|torch\.|twin/i.test(e.doc)).map((e) => e.name)).toEqual([]);
  });
});

/**
 * The members of `Tensor`: those of the class and the methods that src/ops/methods/*.ts declare on
 * its interface (declaration merging), each with its doc comment and where it is declared.
 */
function tensorMembers(): (Export & { files: string[] })[] {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(`${ROOT}src/tensor/tensor.ts`)!;
  const cls = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!).find((s) => s.name === 'Tensor')!;
  const type = checker.getDeclaredTypeOfSymbol(cls);
  return checker.getPropertiesOfType(type).map((p) => ({
    name: `Tensor.${p.name}`,
    doc: ts.displayPartsToString(p.getDocumentationComment(checker)),
    internal: p.getJsDocTags(checker).some((t) => t.name === 'internal') || (p.valueDeclaration !== undefined && ts.getCombinedModifierFlags(p.valueDeclaration) & ts.ModifierFlags.Private) !== 0,
    files: [...new Set((p.declarations ?? []).map((d) => d.getSourceFile().fileName.slice(ROOT.length)))],
  }));
}

describe('doc comments of the Tensor methods (declared on the class or, by declaration merging, in src/ops/methods/)', () => {
  const members = tensorMembers();

  it('sees the methods installed from src/ops/methods/', () => {
    const byName = new Map(members.map((m) => [m.name, m.files]));
    expect(byName.get('Tensor.matmul')).toEqual(['src/ops/methods/matmul.ts']);
    expect(byName.get('Tensor.backward')).toEqual(['src/tensor/tensor.ts']);
    expect(members.filter((m) => m.files.some((f) => f.startsWith('src/ops/methods/'))).length).toBeGreaterThan(50);
  });

  it('every public member has a doc comment naming its PyTorch twin (or saying there is none)', () => {
    const pub = members.filter((m) => !m.internal && !m.name.startsWith('Tensor.__@'));
    expect(pub.filter((m) => m.doc.trim() === '').map((m) => m.name)).toEqual([]);
    expect(pub.filter((m) => m.doc.trim() !== '' && !/PyTorch|torch\.|twin/i.test(m.doc)).map((m) => m.name)).toEqual([]);
  });
});
