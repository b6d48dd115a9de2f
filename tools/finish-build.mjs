// `npm run build`'s second step, after tsc:
// 1. copy the WebAssembly kernels (src/**/*.wasm) next to the JS in dist/, where
//    src/kernels/wasm/loader.ts looks for them (new URL('./kernels-….wasm', import.meta.url));
// 2. make the source maps line-level: tsc maps every token (600 KB of mappings for 650 KB of JS);
//    one mapping per generated line (its first) keeps stack traces and breakpoints on the right
//    source line at a tenth of the size. The maps keep `sourcesContent` (tsconfig.build.json's
//    inlineSources), since src/ is not shipped.
// Usage: node tools/finish-build.mjs [outDir]   (default: dist)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = process.argv[2] ?? join(root, 'dist');

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

/** Keep the first mapped segment of each generated line; drop names. */
export function lineLevel(mappings) {
  let src = 0;
  let line = 0;
  let col = 0;
  let outSrc = 0;
  let outLine = 0;
  let outCol = 0;
  const lines = [];
  for (const text of mappings.split(';')) {
    let genCol = 0;
    let kept = '';
    for (const seg of text === '' ? [] : text.split(',')) {
      const f = decodeSegment(seg);
      genCol += f[0];
      if (f.length < 4) continue;
      src += f[1];
      line += f[2];
      col += f[3];
      if (kept === '') {
        kept = encode(genCol) + encode(src - outSrc) + encode(line - outLine) + encode(col - outCol);
        outSrc = src;
        outLine = line;
        outCol = col;
      }
    }
    lines.push(kept);
  }
  return lines.join(';');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.wasm')) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(out, relative(src, from));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js.map')) continue;
    const file = join(entry.parentPath, entry.name);
    const map = JSON.parse(readFileSync(file, 'utf8'));
    map.mappings = lineLevel(map.mappings);
    map.names = [];
    writeFileSync(file, JSON.stringify(map));
  }
}
