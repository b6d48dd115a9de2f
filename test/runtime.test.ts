/** The Node.js version check that both entry points run first (src/runtime.ts, package.json `engines`). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unsupportedNode } from '../src/runtime.js';

describe('the Node.js version check', () => {
  it('accepts what engines accepts and refuses the rest, saying which version it needs', () => {
    for (const v of ['20.19.0', '20.20.2', '22.12.0', '23.0.0', '24.3.1', '30.0.0']) expect(unsupportedNode(v)).toBeUndefined();
    for (const v of ['18.20.4', '20.0.0', '20.16.0', '20.18.3', '21.7.3', '22.0.0', '22.11.0']) {
      expect(unsupportedNode(v)).toMatch(new RegExp(`needs Node.js 20.19 or later .*this is Node.js ${v.replaceAll('.', '\\.')}`));
    }
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0');
  });

  it('runs on this Node.js', () => {
    expect(unsupportedNode(process.versions.node)).toBeUndefined();
  });
});
