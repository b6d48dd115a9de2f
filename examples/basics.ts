/**
 * torchlet basics: tensors, gradients, printing, and the shape ops the seed's neighbouring
 * tutorials teach (squeeze/unsqueeze, cat/stack). Run with `npm run example`.
 * Every line printed here is what PyTorch prints for the same code.
 */

import * as torch from '../src/index.js';

const log = (label: string, value: unknown): void => {
  console.log(`${label}\n${String(value)}\n`);
};
/** Shapes printed as PyTorch prints `t.shape`. */
const size = (t: torch.Tensor): string => `torch.Size([${t.shape.join(', ')}])`;

// ---- tensors and gradients ------------------------------------------------------------------
// PyTorch: w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
const w = torch.tensor(
  [
    [0.5, -1.0],
    [2.0, 0.25],
  ],
  { requiresGrad: true },
);
const x = torch.tensor([[1.0, 2.0]]);
const y = x.matmul(w).tanh(); // (1, 2) · (2, 2) → (1, 2)
const loss = y.pow(2).sum();
log('w', w);
log('y = tanh(x @ w)', y);
log('loss = (y ** 2).sum()', loss);
loss.backward();
log('w.grad', w.grad);

// ---- squeeze / unsqueeze --------------------------------------------------------------------
const t = torch.zeros(2, 1, 3);
console.log('t.shape                ', size(t)); // [2, 1, 3]
console.log('t.squeeze().shape      ', size(t.squeeze())); // [2, 3]
console.log('t.squeeze(0).shape     ', size(t.squeeze(0))); // [2, 1, 3]: dim 0 has size 2, no-op
console.log('t.squeeze(1).shape     ', size(t.squeeze(1))); // [2, 3]
console.log('t.unsqueeze(0).shape   ', size(t.unsqueeze(0))); // [1, 2, 1, 3]
console.log('t.unsqueeze(-1).shape  ', size(t.unsqueeze(-1))); // [2, 1, 3, 1]
console.log();

// ---- cat / stack ----------------------------------------------------------------------------
const a = torch.arange(6, { dtype: 'float32' }).reshape(2, 3);
const b = a.mul(10);
console.log('cat([a, b], 0).shape   ', size(torch.cat([a, b], 0))); // [4, 3]
console.log('cat([a, b], 1).shape   ', size(torch.cat([a, b], 1))); // [2, 6]
console.log('stack([a, b], 0).shape ', size(torch.stack([a, b], 0))); // [2, 2, 3]
console.log('stack([a, b], 2).shape ', size(torch.stack([a, b], 2))); // [2, 3, 2]
console.log();
log('torch.stack([a, b], 2)', torch.stack([a, b], 2));

// ---- a time series batch, as the recurrent layers take it -----------------------------------
torch.manualSeed(0);
const batch = torch.randn(4, 10, 3); // (N batch, L time, H_in features), batchFirst layout
const timeMajor = batch.transpose(0, 1); // (L, N, H_in), the default layout
console.log('batch (N, L, H_in)     ', size(batch));
console.log('time-major (L, N, H_in)', size(timeMajor));
console.log('last step (N, H_in)    ', size(batch.narrow(1, 9, 1).squeeze(1)));
