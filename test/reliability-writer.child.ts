/**
 * Child process of test/reliability-io.test.ts ("kill -9 mid-write"): writes a 16 MiB
 * safetensors file atomically to the path in argv[2] over and over (bytes made once, so nearly
 * all its time is spent writing), printing a line after each completed write, until killed.
 */
import * as torch from '../src/index.js';
import { writeFileAtomic } from '../src/node.js';

const target = process.argv[2]!;
const bytes = torch.io.saveSafetensors({ w: torch.randn(4 * 1024 * 1024) });
for (;;) {
  writeFileAtomic(target, bytes);
  process.stdout.write('w\n');
}
