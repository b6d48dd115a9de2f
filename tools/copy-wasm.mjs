// `npm run build`'s second step: copy the WebAssembly kernels (src/**/*.wasm) next to the JS in
// dist/, where src/kernels/wasm/loader.ts looks for them (new URL('./kernels-….wasm', import.meta.url)).
// Usage: node tools/copy-wasm.mjs [outDir]   (default: dist)
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = process.argv[2] ?? join(root, 'dist');
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.wasm')) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(out, relative(src, from));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
