/**
 * Arguments (issue 12): where a Tensor is expected anything else is PyTorch's TypeError; numbers
 * exactly where PyTorch takes Python scalars; arrays never silently taken for tensors. Recurrent
 * states: RNN/GRU refuse an [h, c] pair, LSTM refuses a bare tensor. Nothing is changed by a
 * refused call.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { thrown } from './helpers/errors.js';

const { nn } = torch;


/** Expect an ArgumentTypeError (a TypeError and a TorchletError) with exactly this message. */
function expectTypeError(f: () => unknown, message: string): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(torch.ArgumentTypeError);
  expect(e).toBeInstanceOf(TypeError);
  expect(e).toBeInstanceOf(torch.TorchletError);
  expect(e.message).toBe(message);
}

describe('Tensor arguments', () => {
  const t = torch.randn(2, 3);
  it('numbers where PyTorch takes Python scalars, nothing else', () => {
    expect(t.mul(2).shape).toEqual([2, 3]);
    expect(torch.add(1, t).shape).toEqual([2, 3]);
    expectTypeError(() => t.mul('2' as never), "mul(): argument 'other' (position 1) must be Tensor, not string ('2'). Hint: pass the number 2, not a string");
    expectTypeError(() => t.add([1, 2, 3] as never), "add(): argument 'other' (position 1) must be Tensor, not array. Hint: wrap numbers in a tensor first: torch.tensor([...])");
    expectTypeError(() => torch.mul(t, null as never), "mul(): argument 'other' (position 2) must be Tensor, not null");
    expectTypeError(() => torch.mul('a' as never, t), "mul(): argument 'input' (position 1) must be Tensor, not string");
    expectTypeError(() => t.gt({} as never), "gt(): argument 'other' (position 1) must be Tensor, not object");
    expectTypeError(() => t.matmul([1, 2] as never), "matmul(): argument 'other' (position 1) must be Tensor, not array. Hint: wrap numbers in a tensor first: torch.tensor([...])");
    expectTypeError(() => torch.tanh([1, 2] as never), "tanh(): argument 'input' (position 1) must be Tensor, not array. Hint: wrap numbers in a tensor first: torch.tensor([...])");
  });
  it('cat and stack take a list of tensors', () => {
    expectTypeError(() => torch.cat(t as never, t as never), "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor. Hint: pass the tensors in an array: cat([a, b], dim)");
    expectTypeError(() => torch.stack(5 as never), "stack(): argument 'tensors' (position 1) must be tuple of Tensors, not number");
    expectTypeError(() => torch.cat([t, 5] as never), 'cat(): expected Tensor as element 1 in argument 0, but got number');
  });
  it('losses and layers', () => {
    const x = torch.randn(2, 3, { requiresGrad: true });
    expectTypeError(() => new nn.MSELoss().forward(x, 0 as never), "mse_loss(): argument 'target' (position 2) must be Tensor, not number");
    expectTypeError(() => new nn.CrossEntropyLoss().forward(x, [0, 1] as never), "cross_entropy_loss(): argument 'target' (position 2) must be Tensor, not array. Hint: wrap numbers in a tensor first: torch.tensor([...])");
    expectTypeError(() => new nn.Linear(3, 2).forward(5 as never), "forward(): argument 'input' (position 1) must be Tensor, not number");
    expectTypeError(() => new nn.ReLU().forward(null as never), "forward(): argument 'input' (position 1) must be Tensor, not null");
    expect(x.grad).toBeNull();
  });
});

describe('recurrent layers: input and states', () => {
  const x = torch.randn(5, 3, 4);
  const h = torch.zeros(1, 3, 6);
  it('forward(null), forward(5) and arrays are TypeErrors', () => {
    const lstm = new nn.LSTM(4, 6);
    expectTypeError(() => lstm.forward(null as never), "LSTM.forward(): argument 'input' (position 1) must be Tensor or PackedSequence, not null");
    expectTypeError(() => lstm.forward(5 as never), "LSTM.forward(): argument 'input' (position 1) must be Tensor or PackedSequence, not number");
    expectTypeError(() => new nn.GRUCell(4, 6).forward([1, 2, 3, 4] as never), "GRUCell.forward(): argument 'input' (position 1) must be Tensor, not array. Hint: wrap numbers in a tensor first: torch.tensor([...])");
  });
  it('RNN and GRU refuse an [h, c] pair', () => {
    for (const [m, name] of [[new nn.GRU(4, 6), 'GRU'], [new nn.RNN(4, 6), 'RNN']] as const) {
      expectTypeError(
        () => m.forward(x, [h, h] as never),
        `${name}.forward(): argument 'hx' (position 2) must be Tensor, not tuple of 2. Expected a value of type 'Optional[Tensor]' for argument 'hx' but instead found type 'tuple'. Hint: ${name} has no cell state: pass h0 alone (an [h, c] pair is for the LSTM).`,
      );
    }
    expectTypeError(() => new nn.GRUCell(4, 6).forward(torch.zeros(3, 4), [torch.zeros(3, 6), torch.zeros(3, 6)] as never), "GRUCell.forward(): argument 'hx' (position 2) must be Tensor, not tuple of 2. Expected a value of type 'Optional[Tensor]' for argument 'hx' but instead found type 'tuple'. Hint: GRUCell has no cell state: pass h0 alone (an [h, c] pair is for the LSTM).");
  });
  it('LSTM refuses a bare tensor and a list of other than two', () => {
    const lstm = new nn.LSTM(4, 6);
    const before = lstm.parameters().map((p) => p.toFloat32Array());
    expectTypeError(
      () => lstm.forward(x, h as never),
      "LSTM.forward(): argument 'hx' (position 2) must be tuple of Tensors (h_0, c_0), not Tensor. Expected a value of type 'Optional[Tuple[Tensor, Tensor]]' for argument 'hx' but instead found type 'Tensor'. Hint: the LSTM's state is a pair: pass [h0, c0].",
    );
    const e = thrown(() => lstm.forward(x, [h, h, h] as never));
    expect(e).toBeInstanceOf(torch.RuntimeError);
    expect(e.message).toBe('lstm expects two hidden states, got 3. Pass [h0, c0].');
    expectTypeError(() => lstm.forward(x, [h, 5] as never), "LSTM.forward(): expected Tensor as element 1 in argument 'hx', but got number");
    expect(lstm.parameters().map((p) => p.toFloat32Array())).toEqual(before);
    expect(lstm.parameters().every((p) => p.grad === null)).toBe(true);
    // The right forms still work.
    const [out, [hN, cN]] = lstm.forward(x, [h, h]);
    expect([out.shape, hN.shape, cN.shape]).toEqual([[5, 3, 6], [1, 3, 6], [1, 3, 6]]);
    expect(new nn.GRU(4, 6).forward(x, h)[1].shape).toEqual([1, 3, 6]);
  });
});
