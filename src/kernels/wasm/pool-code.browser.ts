/**
 * Browser bundles' ./pool-code.ts (package.json `browser`): the thread pool's workers' code
 * (./pool.ts) is a chunk of its own, loaded (dynamic import) when threads start, which only a
 * cross-origin isolated page does, and always in the background.
 */
import type { PoolCode } from './pool-code.js';

let code: PoolCode | null = null;

/** The workers' code if loaded, else null. */
export function poolCode(): PoolCode | null {
  return code;
}

/** Load the workers' code (once). */
export async function loadPoolCode(): Promise<PoolCode> {
  code ??= await import('./pool.js');
  return code;
}
