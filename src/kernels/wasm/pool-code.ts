/**
 * The thread pool's workers' code (./pool.ts), at hand synchronously: Node starts a pool inside
 * the op that first wants it. Browser bundles get ./pool-code.browser.ts instead (package.json
 * `browser`), which loads it when threads start.
 */
import * as code from './pool.js';

/** The workers' code (./pool.ts). */
export type PoolCode = typeof code;

/** The workers' code if loaded (here: always). */
export function poolCode(): PoolCode | null {
  return code;
}

/** The workers' code, loaded (here: at hand). */
export async function loadPoolCode(): Promise<PoolCode> {
  return code;
}
