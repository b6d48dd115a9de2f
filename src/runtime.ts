/**
 * The Node.js versions torchlet runs on (package.json `engines`): 20.19+ on Node 20, 22.12+ on
 * Node 22, and any later major. Those are the releases where `require()` can load an ES module
 * and `process.getBuiltinModule` exists (used to read the WebAssembly kernels synchronously).
 * Imported first by both entry points, so an older Node.js fails at import with a message that
 * says what to do, instead of somewhere deep inside. Browsers, Deno and Bun are not checked.
 * No PyTorch twin.
 */

import { RuntimeError } from './errors.js';

/** Why `version` (a `process.versions.node` string) is too old for torchlet, or undefined if it is not. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
  const ok = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;
  return ok ? undefined : `torchlet needs Node.js 20.19 or later on Node 20, or 22.12 or later (this is Node.js ${version}); please upgrade Node.js`;
}

const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions;
if (versions?.node !== undefined && versions.bun === undefined && versions.deno === undefined) {
  const why = unsupportedNode(versions.node);
  if (why !== undefined) throw new RuntimeError(why);
}
