/**
 * The playground's build: `npm run build:web` writes a static site to web/dist/ (relative URLs, so
 * it works from any folder of any static host); `npm run playground` builds it and serves it with
 * COOP/COEP (web/server.mjs). The page imports the library's TypeScript sources directly, as a
 * user's bundler would import the package, the WebAssembly kernels included (`new URL(..., import.meta.url)`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The WebAssembly kernels stay files (fetched and compiled in the background), never inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    // torchlet reads class names (PyTorch's reprs, `explain`'s layer kinds): a minifier must keep them.
    rolldownOptions: { output: { keepNames: true } },
  },
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  server: { headers: isolation },
  preview: { headers: isolation },
  logLevel: 'warn',
});
