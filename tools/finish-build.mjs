// `npm run build`'s second step, after tsc (which writes only the declarations, dist/**/*.d.ts):
// 1. dist/**/*.js: every module of src/ as its own ESM file (esbuild, TypeScript stripped, no
//    bundling), for bundlers (Vite, webpack, Rollup, esbuild for browsers), which tree-shake them
//    module by module thanks to package.json `sideEffects` (the exports map's `default` condition);
// 2. dist/bundle/index.js (+ nn.js, node.js taking from it): the same files bundled into one file
//    and minified (whitespace and syntax; names kept), for Node (the exports map's `node`
//    condition): one file to read and compile instead of ~150 is what makes `import 'torchlet'`
//    fast (bench/import-time.ts). dist/bundle/cli.js is the CLI's own code and libraries; it takes
//    the library from index.js (through dist/bundle/internal.js), not from a copy. A bundle is not
//    what browser bundlers should get: they cannot tree-shake inside it (measured: an LSTM-only app
//    grew from 44 KB to 114 KB gzipped). Its source maps point at the files of step 1, which ship,
//    one mapping per original line, so stack traces (node --enable-source-maps) and debuggers land
//    on readable code without shipping the sources twice;
// 3. fflate (zip) and the CLI's libraries are bundled in (dist/vendor/fflate.js, dist/bundle/cli.js;
//    licences in dist/THIRD-PARTY-LICENSES.md), so the package has no runtime dependencies. fflate's
//    module body builds its Huffman tables (a few ms): it runs at the first zip operation instead;
// 4. copy the WebAssembly kernels (src/**/*.wasm) next to the JS in dist/, where
//    src/kernels/wasm/loader.ts looks for them (new URL('./kernels-….wasm', import.meta.url)); the
//    bundle's references are pointed at those files. The native addon (src/**/*.node) is copied
//    the same way; src/kernels/native/loader.ts looks beside itself and, from the bundle, in
//    ../kernels/native/.
// Usage: node tools/finish-build.mjs [outDir]   (default: dist)
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = resolve(process.argv[2] ?? join(root, 'dist'));

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...B64].map((c, i) => [c, i]));

/** The numbers of one VLQ segment. */
function decodeSegment(s) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const c of s) {
    const d = DIGIT.get(c);
    if (d === undefined) throw new Error(`bad source map character ${c}`);
    value += (d & 31) << shift;
    if (d & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function encode(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v > 0) d |= 32;
    s += B64[d];
  } while (v > 0);
  return s;
}

/**
 * A coarser copy of a source map's mappings: a segment only where the original (file, line)
 * changes, so a generated position still maps to the right line (the column to the first mapped
 * column of that line); names dropped. The bundle's maps shrink ~5x (measured 554 KB -> see below).
 */
export function lineLevel(mappings) {
  let src = 0;
  let line = 0;
  let col = 0;
  let outSrc = 0;
  let outLine = 0;
  let outCol = 0;
  let last = -1;
  const lines = [];
  for (const text of mappings.split(';')) {
    let genCol = 0;
    let outGen = 0;
    const kept = [];
    for (const seg of text === '' ? [] : text.split(',')) {
      const f = decodeSegment(seg);
      genCol += f[0];
      if (f.length < 4) continue;
      src += f[1];
      line += f[2];
      col += f[3];
      const key = src * 1e7 + line;
      if (key === last) continue;
      last = key;
      kept.push(encode(genCol - outGen) + encode(src - outSrc) + encode(line - outLine) + encode(col - outCol));
      outGen = genCol;
      outSrc = src;
      outLine = line;
      outCol = col;
    }
    lines.push(kept.join(','));
  }
  return lines.join(';');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  rmSync(join(out, 'bundle'), { recursive: true, force: true });
  const sources = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
  // 1. One file per module.
  await build({ entryPoints: sources, outdir: out, outbase: src, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning' });
  // 3. fflate, tree-shaken to what torchlet uses, its body run at the first call.
  const vendor = await build({
    stdin: { contents: "export { inflateSync, zipSync } from 'fflate/browser';", resolveDir: root },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(join(out, 'vendor'), { recursive: true });
  writeFileSync(
    join(out, 'vendor', 'fflate.js'),
    `// fflate (MIT, github.com/101arrowz/fflate), bundled by tools/finish-build.mjs; licence in ../THIRD-PARTY-LICENSES.md.
let lib;
function load() {
  if (lib === undefined) {
    const module = { exports: {} };
    (function (module, exports) {
${vendor.outputFiles[0].text}
    })(module, module.exports);
    lib = module.exports;
  }
  return lib;
}
/** fflate's inflateSync, loaded at the first call. */
export function inflateSync(data, opts) {
  return load().inflateSync(data, opts);
}
/** fflate's zipSync, loaded at the first call. */
export function zipSync(data, opts) {
  return load().zipSync(data, opts);
}
`,
  );
  for (const f of ['io/save.js', 'io/zip.js']) {
    const file = join(out, f);
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/from "fflate"/g, 'from "../vendor/fflate.js"');
    if (fixed === text) throw new Error(`finish-build: no fflate import in ${f}`);
    writeFileSync(file, fixed);
  }
  // 2. The Node bundle, made from the files of step 1: dist/bundle/index.js, the library in one
  // file but for the code that no import needs. Compiling the code is most of what an import costs
  // (measured: removing 19% of index.js's bytes took 22% off the import; renaming identifiers,
  // -23% of the bytes but no fewer functions, took 4%), so work that waits for its first use is in
  // the cold chunks dist/bundle/cold-<name>.js (COLD_CHUNKS), loaded synchronously (require(esm))
  // at that first use:
  // - STUBBED modules export only functions (a class must exist at import for instanceof and
  //   extends; a constant cannot wait): index.js has a stand-in of the same name for each of their
  //   functions, which loads the chunk at its first call;
  // - LAZY namespaces of `torch` (torch.optim, torch.utils, torch.onnx, torch.explainer), whose
  //   classes nothing at import refers to: index.js exports an object of the same shape as the
  //   namespace objects esbuild makes (enumerable getters, one per export), whose getters load the
  //   chunk at the first read, so `torch.optim.Adam` is the one class, whenever it is read.
  // The build checks that every namespace has the same names as the per-module build's.
  // The CLI (dist/bundle/cli.js, serve.js, worker.js) and the cold chunks are bundled on their own
  // and take every module of index.js through dist/bundle/internal.js (index.js provides them
  // lazily), and a cold chunk's module from that chunk (a static import: the CLI imports torch.optim's
  // modules at its start): one copy of every class and of the kernels' state, nothing added to
  // torchlet's exports. The CLI's `await import('./x.js')` (lazy subcommands) become static
  // imports: a dynamic import would be one more file to load.
  const COLD_CHUNKS = {
    io: ['io/checkpoint.js', 'io/save.js', 'io/safetensors.js'],
    onnx: ['onnx/index.js', 'onnx/export.js'],
    explain: ['explain/index.js', 'explain/explain.js', 'explain/render.js', 'explain/build.js', 'explain/infer.js'],
    train: ['optim/index.js', 'utils/index.js', 'nn/functional/loss.js', 'nn/functional/more-losses.js', 'nn/utils/clip-grad.js', 'autograd/gradcheck.js'],
    nn: ['nn/functional/conv.js', 'ops/conv.js', 'nn/functional/norm.js', 'ops/norm.js', 'ops/einsum.js', 'nn/utils/rnn.js', 'nn/init.js', 'nn/functional/one-hot.js'],
    ops: ['ops/reductions.js', 'ops/math.js', 'ops/random.js', 'ops/matrix.js', 'ops/scatter.js'],
    // The reference recurrent kernel's loops (when 'ref' is chosen or no faster kernel takes the
    // call), the WebAssembly recurrent backward (at the first backward through a layer on that
    // tier), the WebAssembly thread pool's workers (when they start; not kernels/wasm/threads.js:
    // every recurrent op asks it for the thread count, and loading a chunk costs ~3 ms, measured,
    // more than compiling its code at import), tensor printing, the in-place ops (`x.add_()`, ...;
    // an LSTM trained with Adam calls none; not the joins and indexing, which it does call).
    ref: ['kernels/ref/rnn-loops.js'],
    backward: ['kernels/wasm/backward.js'],
    pool: ['kernels/wasm/pool.js'],
    inplace: ['ops/inplace.js'],
    format: ['tensor/format.js'],
  };
  const LAZY = { optim: 'optim/index.js', utils: 'utils/index.js', onnx: 'onnx/index.js', explainer: 'explain/index.js' };
  // Stubbed in index.js (a chunk's module that exports only functions): every cold module but the
  // lazy namespaces' entries, which export classes.
  const STUBBED = Object.values(COLD_CHUNKS).flat().filter((m) => !Object.values(LAZY).includes(m));
  const chunkOfEntry = (m) => Object.keys(COLD_CHUNKS).find((c) => COLD_CHUNKS[c].includes(m));
  const staticImports = {
    name: 'cli-static-imports',
    setup(b) {
      b.onLoad({ filter: /[\\/]cli[\\/][^\\/]+\.js$/ }, (args) => {
        let n = 0;
        const head = [];
        const contents = readFileSync(args.path, 'utf8').replace(/await import\("(\.[^"]+)"\)/g, (_, spec) => {
          head.push(`import * as __lazy${n} from "${spec}";`);
          return `__lazy${n++}`;
        });
        return { contents: head.length > 0 ? contents.replace(/^(#!.*\n)?/, (m) => `${m}${head.join('\n')}\n`) : contents, loader: 'js' };
      });
    },
  };
  const nodeBundle = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    nodePaths: [join(root, 'node_modules')],
    minifyWhitespace: true,
    // Short lines: Node prints the line an uncaught error was thrown from (a whole minified line
    // would be kilobytes of code under the message).
    lineLimit: 160,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  };
  const rel = (file) => relative(out, file).split('\\').join('/');
  const exportsOf = new Map(); // module (relative to dist) -> its export names
  const RESERVED = new Set(['var', 'delete', 'new', 'in', 'typeof', 'void', 'function', 'class', 'default', 'import', 'export', 'return', 'this', 'with', 'do', 'if', 'for', 'while', 'switch', 'case', 'break', 'continue', 'throw', 'try', 'catch', 'finally', 'const', 'let', 'enum', 'super', 'extends', 'yield', 'await', 'null', 'true', 'false', 'instanceof', 'debugger']);
  const lengthOf = new Map(); // 'module:function' -> the function's length (its stand-in's)
  const reexportsOf = new Map(); // a STUBBED module -> [name, module it re-exports the name from]
  const namesOf = async (m) => {
    if (!exportsOf.has(m)) {
      const ns = await import(pathToFileURL(join(out, m)).href);
      if (STUBBED.includes(m)) {
        // What the module re-exports from a module that stays in index.js (the same object) is
        // re-exported by the stand-in too; its own functions get stand-ins; its own constants
        // (option schemas) and classes are left out: nothing outside the module may import them
        // (the build would fail), and the namespace check below sees any that a namespace shows.
        const reexports = [];
        for (const [, spec] of readFileSync(join(out, m), 'utf8').matchAll(/from\s*"(\.[^"]+)"/g)) {
          const from = rel(resolve(dirname(join(out, m)), spec));
          if (STUBBED.includes(from)) continue;
          const other = await import(pathToFileURL(join(out, from)).href);
          for (const k of Object.keys(ns)) if (Object.hasOwn(other, k) && other[k] === ns[k] && !reexports.some(([n]) => n === k)) reexports.push([k, from]);
        }
        reexportsOf.set(m, reexports);
        const own = Object.keys(ns).filter((k) => !reexports.some(([n]) => n === k));
        const functions = own.filter((k) => typeof ns[k] === 'function' && !/^class\b/.test(Function.prototype.toString.call(ns[k])));
        for (const k of functions) lengthOf.set(`${m}:${k}`, ns[k].length);
        exportsOf.set(m, Object.keys(ns).filter((k) => functions.includes(k) || reexports.some(([n]) => n === k)));
      } else exportsOf.set(m, Object.keys(ns));
    }
    return exportsOf.get(m);
  };
  const generated = new Map(); // a generated module's name in the source maps -> its text
  // The loader of the cold chunks, shared by index.js's stand-ins and lazy namespaces.
  const coldLoader = [
    'const __chunks = {};',
    // ./cold-<name>.js relative to dist/bundle/index.js, the file this code ends up in.
    'export const cold = (name) => (__chunks[name] ??= process.getBuiltinModule("node:module").createRequire(import.meta.url)("./cold-" + name + ".js")).modules;',
    'export function lazyNamespace(name, path, names) {',
    '  const ns = {};',
    '  for (const n of names) Object.defineProperty(ns, n, { get: () => cold(name)[path][n], enumerable: true });',
    '  return ns;',
    '}',
  ].join('\n');
  generated.set('cold-loader:cold-loader.js', coldLoader);
  // index.js's stand-ins for the STUBBED modules' functions, and its entry: the exports of
  // dist/index.js, the LAZY namespaces as getter objects.
  mkdirSync(join(out, 'bundle'), { recursive: true });
  const topNames = Object.keys(await import(pathToFileURL(join(out, 'index.js')).href));
  const coldStubs = {
    name: 'cold-stubs',
    setup(b) {
      b.onResolve({ filter: /^torchlet:cold-loader$/ }, () => ({ path: 'cold-loader.js', namespace: 'cold-loader' }));
      b.onLoad({ filter: /.*/, namespace: 'cold-loader' }, () => ({ contents: coldLoader, loader: 'js', resolveDir: join(out, 'bundle') }));
      b.onResolve({ filter: /^\./ }, (args) => {
        const file = rel(resolve(args.resolveDir, args.path));
        return STUBBED.includes(file) ? { path: file, namespace: 'cold-stub' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'cold-stub' }, async (args) => {
        const names = await namesOf(args.path);
        const reexports = reexportsOf.get(args.path);
        const contents = [
          'import { cold } from "torchlet:cold-loader";',
          ...reexports.map(([n, from]) => `export { ${n} } from ${JSON.stringify(`./${relative(dirname(join(out, args.path)), join(out, from)).split('\\').join('/')}`)};`),
          ...names
            .filter((n) => !reexports.some(([r]) => r === n))
            .map((n, i) => {
              const params = Array.from({ length: lengthOf.get(`${args.path}:${n}`) }, (_, j) => `a${j}`).join(', ');
              const body = `{\n  return cold(${JSON.stringify(chunkOfEntry(args.path))})[${JSON.stringify(args.path)}][${JSON.stringify(n)}].apply(this, arguments);\n}`;
              // A reserved word (torch.var) cannot name a declaration: a function named by its property.
              return RESERVED.has(n) ? `const __stub${i} = { ${n}: function (${params}) ${body} }.${n};\nexport { __stub${i} as ${n} };` : `export function ${n}(${params}) ${body}`;
            }),
        ].join('\n');
        generated.set(`cold-stub:${args.path}`, contents);
        return { contents, loader: 'js', resolveDir: dirname(join(out, args.path)) };
      });
    },
  };
  const indexEntry = async (provider) =>
    [
      `export { ${topNames.filter((n) => !(n in LAZY)).join(', ')} } from "../index.js";`,
      'import { lazyNamespace } from "torchlet:cold-loader";',
      ...(await Promise.all(Object.entries(LAZY).map(async ([n, m]) => `export const ${n} = lazyNamespace(${JSON.stringify(chunkOfEntry(m))}, ${JSON.stringify(m)}, ${JSON.stringify((await namesOf(m)).sort())});`))),
      ...provider,
    ].join('\n');
  // The modules in index.js. (The metafile's inputs are the modules read; the output's, with
  // their bytes, the modules kept.)
  const kept = (r) => Object.values(r.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([f]) => f));
  const modulesOf = (files) => files.filter((f) => !f.includes(':')).map((f) => rel(resolve(root, f))).filter((m) => !m.startsWith('bundle/'));
  const probe = await build({ ...nodeBundle, plugins: [coldStubs], stdin: { contents: await indexEntry([]), resolveDir: join(out, 'bundle'), sourcefile: 'entry.js' }, write: false, sourcemap: false, outdir: join(out, 'bundle') });
  let eager = new Set(modulesOf(kept(probe)));
  // cli.js and the cold chunks: every import of a module that another file holds becomes a read of internal.js.
  let library = eager;
  const coldOf = new Map(); // a cold module -> its chunk
  const shared = new Set();
  // withIndex: a stand-in also imports ./index.js, so that index.js has run and provided the modules
  // (the CLI, serve.js and worker.js are entries of their own; a cold chunk is only ever loaded by
  // index.js, which has).
  const fromLibrary = (own, withIndex = true) => ({
    name: 'library-from-index',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.namespace === 'library') return { path: args.path, external: true };
        const file = rel(resolve(args.resolveDir, args.path));
        return library.has(file) && !own.has(file) ? { path: file, namespace: 'library' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'library' }, async (args) => {
        const names = (await namesOf(args.path)).join(', ');
        // A cold module (but a stand-in's): from its chunk, statically (the CLI uses it).
        if (coldOf.has(args.path) && !STUBBED.includes(args.path)) {
          const contents = `import { modules } from "./cold-${coldOf.get(args.path)}.js"; export const { ${names} } = modules[${JSON.stringify(args.path)}];`;
          generated.set(`library:${args.path}`, contents);
          return { contents, loader: 'js' };
        }
        shared.add(args.path);
        const contents = `${withIndex ? 'import "./index.js"; ' : ''}import { library } from "./internal.js"; export const { ${names} } = library(${JSON.stringify(args.path)});`;
        generated.set(`library:${args.path}`, contents);
        return { contents, loader: 'js' };
      });
    },
  });
  // The cold chunks' modules: what each chunk's entry modules reach that index.js does not hold.
  for (const [chunk, entries] of Object.entries(COLD_CHUNKS)) {
    // (Another chunk's stand-in modules are read through internal.js, as index.js's own.)
    library = new Set([...eager, ...STUBBED.filter((m) => chunkOfEntry(m) !== chunk)]);
    const r = await build({ ...nodeBundle, plugins: [fromLibrary(new Set())], stdin: { contents: entries.map((m) => `export * as m${entries.indexOf(m)} from "../${m}";`).join('\n'), resolveDir: join(out, 'bundle'), sourcefile: 'probe.js' }, write: false, sourcemap: false, outdir: join(out, 'bundle') });
    for (const m of kept(r).filter((f) => !f.includes(':')).map((f) => rel(resolve(root, f)))) if (!m.startsWith('bundle/') && !coldOf.has(m)) coldOf.set(m, chunk);
  }
  for (const m of STUBBED) if (coldOf.get(m) !== chunkOfEntry(m)) throw new Error(`finish-build: ${m} is not in its own cold chunk`);
  // Also the modules index.js reads and leaves empty (index files of re-exports), but for the cold ones.
  eager = new Set(modulesOf(Object.keys(probe.metafile.inputs)).filter((m) => !coldOf.has(m)));
  library = new Set([...eager, ...coldOf.keys()]);
  shared.clear();
  const cli = await build({
    ...nodeBundle,
    plugins: [staticImports, fromLibrary(new Set())],
    // torchlet/serve (serve.js) and its worker thread's script (worker.js) are built the same way: their
    // library modules come from index.js too (pool.js finds ./worker.js beside itself).
    entryPoints: { cli: join(out, 'cli/main.js'), serve: join(out, 'serve/index.js'), worker: join(out, 'serve/worker.js') },
    outdir: join(out, 'bundle'),
    external: ['onnxruntime-node'],
    // The CommonJS libraries of the CLI (commander, cli-progress) call require('readline'), ...
    banner: { js: "import { createRequire as __torchletCreateRequire } from 'node:module';const require = __torchletCreateRequire(import.meta.url);" },
  });
  // Each chunk's entry: the namespaces of all its modules, by path (for the stand-ins, the lazy
  // namespaces, the CLI and the later chunks).
  const coldEntries = {};
  for (const chunk of Object.keys(COLD_CHUNKS)) {
    const own = [...coldOf].filter(([, c]) => c === chunk).map(([m]) => m).sort();
    coldEntries[chunk] = [...own.map((m, i) => `import * as __m${i} from "../${m}";`), `export const modules = { ${own.map((m, i) => `${JSON.stringify(m)}: __m${i}`).join(', ')} };`].join('\n');
    generated.set(`cold-entry-${chunk}.js`, coldEntries[chunk]);
  }
  // Each chunk on its own; a module of an earlier chunk is imported from it (statically, as the CLI
  // does), so every class has one copy and no chunk is made of reads of internal.js alone.
  const cold = [];
  for (const chunk of Object.keys(COLD_CHUNKS)) {
    cold.push(
      await build({
        ...nodeBundle,
        plugins: [fromLibrary(new Set([...coldOf].filter(([, c]) => c === chunk).map(([m]) => m)), false)],
        stdin: { contents: coldEntries[chunk], resolveDir: join(out, 'bundle'), sourcefile: `cold-entry-${chunk}.js` },
        outfile: join(out, 'bundle', `cold-${chunk}.js`),
      }),
    );
  }
  // index.js hands internal.js a function that returns those modules' exports (built only when
  // asked: namespace objects made at import cost ~3 ms, measured); a cold module's, from its chunk.
  const modules = [...shared].sort();
  writeFileSync(
    join(out, 'bundle', 'internal.js'),
    `// Written by tools/finish-build.mjs: ./index.js provides the library modules that ./cli.js and the cold chunks import (one copy of each).
// The provider lives on globalThis under this folder's URL: a loader that runs a cold chunk as CommonJS
// (tsx's require hook does) makes a second copy of this file, which must still reach index.js's modules.
const KEY = Symbol.for(\`torchlet.internal \${new URL('.', import.meta.url).href}\`);
export function provide(f) {
  globalThis[KEY] = f;
}
export function library(path) {
  return (globalThis[KEY] ?? (() => ({})))()[path];
}
`,
  );
  const direct = modules;
  for (const m of direct) if (!eager.has(m) && !STUBBED.includes(m)) throw new Error(`finish-build: internal.js would provide ${m}, which index.js does not hold`);
  const names = await Promise.all(direct.map(namesOf));
  generated.set(
    'entry.js',
    await indexEntry([
      // (index.js's own: its lazy namespaces are the ones this file makes.)
      ...direct.map((m, i) => `import { ${names[i].filter((n) => m !== 'index.js' || !(n in LAZY)).map((n) => `${n} as __${i}_${n}`).join(', ')} } from "../${m}";`),
      'import { provide } from "./internal.js";',
      'let __modules;',
      // (A function declaration: V8 compiles it at the first call, an arrow in the call at import.)
      `function __provider() { return (__modules ??= { ${direct.map((m, i) => `${JSON.stringify(m)}: { ${names[i].map((n) => (m === 'index.js' && n in LAZY ? n : `${n}: __${i}_${n}`)).join(', ')} }`).join(', ')} }); }`,
      'provide(__provider);',
    ]),
  );
  const bundle = await build({
    ...nodeBundle,
    plugins: [coldStubs],
    stdin: { contents: generated.get('entry.js'), resolveDir: join(out, 'bundle'), sourcefile: 'entry.js' },
    outfile: join(out, 'bundle', 'index.js'),
    external: ['./internal.js'],
  });
  if (process.env.XP_META) writeFileSync(process.env.XP_META, JSON.stringify(bundle.metafile));
  for (const f of kept(bundle).filter((f) => !f.includes(':'))) {
    const m = rel(resolve(root, f));
    if (!m.startsWith('bundle/') && !eager.has(m)) throw new Error(`finish-build: index.js holds ${m}, which the first build left out`);
    if (coldOf.has(m) && !STUBBED.includes(m)) throw new Error(`finish-build: index.js holds ${m}, which is in the cold chunk ${coldOf.get(m)}`);
  }
  // torchlet/nn in Node: the `nn` namespace of the bundle's index (the same classes as torch.nn),
  // re-exported by name. A bundle entry of its own would split the shared code into more chunks.
  const nnNames = Object.keys(await import(pathToFileURL(join(out, 'nn/index.js')).href)).sort();
  writeFileSync(
    join(out, 'bundle', 'nn.js'),
    `// torchlet/nn for Node (see tools/finish-build.mjs): the nn namespace of ./index.js.\nimport { nn } from './index.js';\nexport const { ${nnNames.join(', ')} } = nn;\n`,
  );
  // torchlet/node in Node: node.js bundled on its own, its imports of the library taken from the
  // bundle's index (so one copy of every class): the public names of `torchlet`, and the io
  // functions it uses, public as torch.io.*. Importing anything else from the library would fail
  // when node.js runs (a missing export of ./index.js); test/package.test.ts runs it.
  const fromIndex = {
    name: 'node-entry-from-index',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => (args.importer === join(out, 'node.js') ? { path: 'io', namespace: 'from-index' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'from-index' }, () => {
        const contents = "export * from './index.js'; import { io } from './index.js'; export const { load, save, loadSafetensors, saveSafetensors, toStateDict } = io;";
        generated.set('from-index:io', contents);
        return { contents, loader: 'js' };
      });
    },
  };
  await build({
    plugins: [fromIndex],
    entryPoints: { node: join(out, 'node.js') },
    outdir: join(out, 'bundle'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['./index.js'],
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  for (const entry of readdirSync(join(out, 'bundle'))) {
    const file = join(out, 'bundle', entry);
    if (entry.endsWith('.js')) {
      const text = readFileSync(file, 'utf8');
      const fixed = text.replace(/new URL\("\.\/(kernels-[a-z-]+\.wasm)",\s*import\.meta\.url\)/g, 'new URL("../kernels/wasm/$1",import.meta.url)');
      if (fixed !== text) writeFileSync(file, fixed);
    } else if (entry.endsWith('.js.map')) {
      const map = JSON.parse(readFileSync(file, 'utf8'));
      map.names = [];
      map.mappings = lineLevel(map.mappings);
      // The entries of index.js and the cold chunks are generated (stdin, above): their text goes in the
      // map, as the stand-ins', the only sources not on disk.
      if (map.sources.some((f) => generated.has(f))) {
        map.sourcesContent = map.sources.map((f) => generated.get(f) ?? null);
      }
      writeFileSync(file, JSON.stringify(map));
    }
  }
  // require('torchlet') in Node: through require(esm) to the same bundle as import (one copy of every
  // class), or, on a Node.js too old for require(esm), an error that says what to do (otherwise
  // Node's ERR_REQUIRE_ESM). The version rule is src/runtime.ts's, copied in at build time.
  const { unsupportedNode } = await import(pathToFileURL(join(out, 'runtime.js')).href);
  mkdirSync(join(out, 'require'), { recursive: true });
  for (const [name, sub] of [['index', ''], ['nn', '/nn'], ['node', '/node'], ['serve', '/serve']]) {
    writeFileSync(
      join(out, 'require', `${name}.cjs`),
      `'use strict';
// require('torchlet${sub}') in Node.js (written by tools/finish-build.mjs): the ES module bundle via require(esm).
${unsupportedNode.toString()}
const why = unsupportedNode(process.versions.node);
if (why !== undefined) {
  const error = new Error(\`\${why}. require('torchlet${sub}') loads an ES module, which Node.js can do from 20.19 on Node 20 and 22.12 on Node 22.\`);
  error.name = 'RuntimeError';
  error.code = 'ERR_TORCHLET_NODE_VERSION';
  throw error;
}
module.exports = require('../bundle/${name}.js');
`,
    );
  }
  // Bundling renames a few classes and functions (`var Tensor = class _Tensor`, a class whose body
  // names itself; `RemovableHandle2`, `bmm2` where two modules use one name), and `.name` shows in
  // reprs (`Embedding(3, 2)`) and messages. esbuild's keepNames fixes it with a call per function,
  // measured +30% import time; instead the exports whose name differs from the per-module build's
  // get their name back, and the build checks that none differs.
  // The same walk checks that every namespace has the same names as the per-module build's (the
  // stand-ins and lazy namespaces must hide nothing and add nothing), with values of the same type.
  const nameDiffs = () =>
    JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', `
const [a, b] = await Promise.all([import(${JSON.stringify(pathToFileURL(join(out, 'index.js')).href)}), import(${JSON.stringify(pathToFileURL(join(out, 'bundle', 'index.js')).href)})]);
const diffs = new Map();
const seen = new Set();
const walk = (x, y, path) => {
  if (seen.has(x)) return;
  seen.add(x);
  const keys = (o) => Object.keys(o).sort().join(',');
  if (typeof y !== 'object' || y === null || keys(x) !== keys(y)) diffs.set(path, 'differs');
  for (const k of Object.keys(x)) {
    const v = x[k];
    const w = y?.[k];
    if (typeof v !== typeof w) diffs.set(path + '.' + k, typeof w);
    else if (typeof v === 'function' && v.name !== w.name) diffs.set(w.name, v.name);
    else if (typeof v === 'function' && v.length !== w.length) diffs.set(path + '.' + k + '.length', w.length);
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) walk(v, w, path + '.' + k);
  }
};
walk(a, b, 'torch');
console.log(JSON.stringify([...diffs]));`]).toString(),
    );
  const renamed = nameDiffs();
  for (const entry of readdirSync(join(out, 'bundle')).filter((f) => f === 'index.js' || /^cold-.*\.js$/.test(f))) {
    const file = join(out, 'bundle', entry);
    const text = readFileSync(file, 'utf8');
    // The top-level binding: `Tensor` for `Tensor=class _Tensor`, `bmm2` for `function bmm2(` / `bmm2=`.
    const bindings = renamed.flatMap(([bundled, name]) => {
      const at = (id) => new RegExp(`(?:^|[\\s,;{}(])(?:${id}=|function ${id}\\()`).test(text);
      if (text.includes(`${name}=class ${bundled}`) && at(name)) return [[name, name]];
      return at(bundled) ? [[bundled, name]] : [];
    });
    if (bindings.length === 0) continue;
    const fix = bindings.map(([local, name]) => `Object.defineProperty(${local},"name",{value:${JSON.stringify(name)},configurable:!0});`).join('');
    const map = text.lastIndexOf('\n//# sourceMappingURL=');
    writeFileSync(file, map < 0 ? text + fix : `${text.slice(0, map)}\n${fix}${text.slice(map)}`);
  }
  const left = nameDiffs();
  if (left.length > 0) throw new Error(`finish-build: names or namespaces differ between the bundle and the per-module build: ${JSON.stringify(left)}`);
  // The licences of the bundled packages.
  const packages = new Map();
  for (const input of [bundle, cli, ...cold, vendor].flatMap((b) => Object.keys(b.metafile.inputs))) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) packages.set(m[1], join(root, 'node_modules', m[1]));
  }
  let licences = '# Third-party code bundled in dist/bundle/ and dist/vendor/\n';
  for (const [name, dir] of [...packages].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (!file) throw new Error(`finish-build: no licence file in ${dir}`);
    licences += `\n## ${name} ${pkg.version} (${pkg.license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
  }
  writeFileSync(join(out, 'THIRD-PARTY-LICENSES.md'), licences);
  // 4. The kernels.
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(wasm|node)$/.test(entry.name)) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(out, relative(src, from));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  // The CLI is not an importable module: no declarations for it.
  for (const f of readdirSync(join(out, 'cli'))) if (f.endsWith('.d.ts')) rmSync(join(out, 'cli', f));
}
