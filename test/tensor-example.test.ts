/** `npm run example` (examples/basics.ts) runs and prints what PyTorch prints for the same code. */

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

it('examples/basics.ts prints tensors, gradients and shapes as PyTorch', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', 'basics.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  // Strings printed by PyTorch 1.13 for the same code.
  for (const want of [
    'tensor([[ 0.5000, -1.0000],\n        [ 2.0000,  0.2500]], requires_grad=True)',
    'tensor([[ 0.9998, -0.4621]], grad_fn=<TanhBackward0>)',
    'tensor(1.2131, grad_fn=<SumBackward0>)',
    'tensor([[ 9.8669e-04, -7.2686e-01],\n        [ 1.9734e-03, -1.4537e+00]])',
    't.squeeze(0).shape      torch.Size([2, 1, 3])',
    't.squeeze(1).shape      torch.Size([2, 3])',
    't.unsqueeze(0).shape    torch.Size([1, 2, 1, 3])',
    'stack([a, b], 2).shape  torch.Size([2, 3, 2])',
    'tensor([[[ 0.,  0.],\n         [ 1., 10.],\n         [ 2., 20.]],\n\n        [[ 3., 30.],\n         [ 4., 40.],\n         [ 5., 50.]]])',
    'time-major (L, N, H_in) torch.Size([10, 4, 3])',
  ]) {
    expect(out).toContain(want);
  }
});
