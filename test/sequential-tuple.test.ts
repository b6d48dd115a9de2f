/**
 * A Sequential whose child returns a tuple (a recurrent layer's `[output, h]`) refuses to pass it
 * to a layer that takes a Tensor, naming the child and the fix, before that layer sees it. A user
 * module may take the tuple (PyTorch's idiom for unpacking it inside a Sequential).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { nn } from '../src/index.js';
import { TorchletError } from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectError } from './helpers/errors.js';



describe('Sequential and tuples', () => {
  it('Embedding → LSTM → Linear: a TypeError naming child (1) LSTM, the next child and the fix; nothing changes', () => {
    // As a JavaScript caller writes it (the types refuse an LSTM as a Sequential child).
    const seq = new nn.Sequential(new nn.Embedding(10, 3), new nn.LSTM(3, 5) as never, new nn.Linear(5, 2));
    const ids = torch.tensor([[1, 2, 3]], { dtype: 'int32' });
    const before = Object.entries(seq.stateDict()).map(([k, t]) => [k, [...t.contiguousData()]]);
    const e = expectError(
      () => seq.forward(ids),
      TorchletError,
      'Sequential: child (1) LSTM returned a tuple [output, h] (as every RNN/LSTM/GRU does), not a Tensor, so it cannot be the input of child (2) Linear',
      'TypeError',
    );
    expect(e.message).toContain('class TakeOutput extends nn.Module {');
    expect(e.message).toContain('forward([output, h]) { return output; }');
    expect(e.message).toContain('new nn.Sequential(..., new nn.LSTM(...), new TakeOutput(), new nn.Linear(...))');
    expect(Object.entries(seq.stateDict()).map(([k, t]) => [k, [...t.contiguousData()]])).toEqual(before);
    expect(seq.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('the fix the message gives works, and keeps the layers\' state-dict keys', () => {
    class TakeOutput extends nn.Module {
      forward([output]: [Tensor, unknown]): Tensor {
        return output;
      }
    }
    const seq = new nn.Sequential(
      new nn.Embedding(10, 3),
      new nn.LSTM(3, 5) as never,
      new TakeOutput() as never,
      new nn.Linear(5, 2),
    );
    expect(seq.forward(torch.tensor([[1, 2, 3]], { dtype: 'int32' })).shape).toEqual([1, 3, 2]);
    expect(Object.keys(seq.stateDict())).toEqual([
      '0.weight', '1.weight_ih_l0', '1.weight_hh_l0', '1.bias_ih_l0', '1.bias_hh_l0', '3.weight', '3.bias',
    ]);
  });

  it('named children, a GRU into an activation, a cell into a norm: the names and classes are in the message', () => {
    const named = new nn.Sequential({ rnn: new nn.GRU(3, 4) as never, act: new nn.Tanh() });
    expectError(() => named.forward(torch.zeros(2, 1, 3)), TorchletError, 'Sequential: child (rnn) GRU returned a tuple [output, h] (as every RNN/LSTM/GRU does), not a Tensor, so it cannot be the input of child (act) Tanh', 'TypeError');
    class Pair extends nn.Module {
      forward(x: Tensor): unknown {
        return { x };
      }
    }
    const odd = new nn.Sequential(new Pair() as never, new nn.LayerNorm(3));
    expectError(() => odd.forward(torch.zeros(1, 3)), TorchletError, 'Sequential: child (0) Pair returned a plain object, not a Tensor, so it cannot be the input of child (1) LayerNorm', 'TypeError');
  });

  it('a tuple from the last child is returned as PyTorch returns it', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 3), new nn.LSTM(3, 4) as never);
    const out = seq.forward(torch.zeros(2, 1, 3)) as unknown as [Tensor, [Tensor, Tensor]];
    expect(Array.isArray(out)).toBe(true);
    expect(out[0].shape).toEqual([2, 1, 4]);
  });
});

describe('Sequential: any child output that is not a Tensor, into any child that cannot take it', () => {
  const snapshot = (m: InstanceType<typeof nn.Module>) => m.parameters().map((p) => [...p.contiguousData()]);

  for (const [name, make] of [
    ['Flatten', () => new nn.Flatten()],
    ['Unflatten', () => new nn.Unflatten(2, [5, 1])],
    ['Softmax', () => new nn.Softmax(-1)],
    ['LogSoftmax', () => new nn.LogSoftmax(-1)],
    ['GELU', () => new nn.GELU()],
    ['ELU', () => new nn.ELU()],
    ['LeakyReLU', () => new nn.LeakyReLU()],
    ['Dropout', () => new nn.Dropout(0.1)],
    ['Conv1d', () => new nn.Conv1d(5, 2, 1)],
    ['BatchNorm1d', () => new nn.BatchNorm1d(5)],
  ] as const) {
    it(`RNN → ${name}: names child (0) RNN, ${name} and the fix; nothing changes`, () => {
      const seq = new nn.Sequential(new nn.RNN(3, 5) as never, make() as never);
      const before = snapshot(seq);
      const e = expectError(
        () => seq.forward(torch.zeros(2, 1, 3)),
        torch.ArgumentTypeError,
        `Sequential: child (0) RNN returned a tuple [output, h] (as every RNN/LSTM/GRU does), not a Tensor, so it cannot be the input of child (1) ${name}`,
        'TypeError',
      );
      expect(e.message).toContain(`${name} said: `);
      expect(e.message).toContain(`new nn.Sequential(..., new nn.RNN(...), new TakeOutput(), new nn.${name}(...))`);
      expect(snapshot(seq)).toEqual(before);
    });
  }

  it('an LSTMCell pair through an Identity into a Linear names the cell, not the Identity', () => {
    const seq = new nn.Sequential(new nn.LSTMCell(3, 4) as never, new nn.Identity() as never, new nn.Linear(4, 2));
    expectError(
      () => seq.forward(torch.zeros(2, 3)),
      torch.ArgumentTypeError,
      'Sequential: child (0) LSTMCell returned a tuple (an array of 2), not a Tensor, so it cannot be the input of child (2) Linear',
      'TypeError',
    );
  });

  it('a PackedSequence into a Linear gets the unpacking fix; into an LSTM it is fine', () => {
    class Pack extends nn.Module {
      forward(x: Tensor): unknown {
        return nn.utils.rnn.packPaddedSequence(x, [2, 1]);
      }
    }
    const bad = new nn.Sequential(new Pack() as never, new nn.Linear(3, 2));
    const e = expectError(
      () => bad.forward(torch.zeros(2, 2, 3)),
      torch.ArgumentTypeError,
      'Sequential: child (0) Pack returned a PackedSequence, not a Tensor, so it cannot be the input of child (1) Linear',
      'TypeError',
    );
    expect(e.message).toContain('padPackedSequence(packed)[0]');
    const good = new nn.Sequential(new Pack() as never, new nn.GRU(3, 4) as never);
    const [out] = good.forward(torch.zeros(2, 2, 3)) as unknown as [torch.nn.utils.rnn.PackedSequence, Tensor];
    expect(out.data.shape).toEqual([3, 4]);
  });

  it("a user module that cannot take the tuple: its own TypeError is the cause, the message names the child", () => {
    class Scale extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.mul(2);
      }
    }
    const seq = new nn.Sequential(new nn.GRU(3, 4) as never, new Scale());
    const e = expectError(
      () => seq.forward(torch.zeros(2, 1, 3)),
      torch.ArgumentTypeError,
      'Sequential: child (0) GRU returned a tuple [output, h] (as every RNN/LSTM/GRU does), not a Tensor, so it cannot be the input of child (1) Scale',
      'TypeError',
    );
    expect((e as Error & { cause?: unknown }).cause).toBeInstanceOf(TypeError);
  });

  it("errors that are not about the input's type pass through unchanged", () => {
    class Unpack extends nn.Module {
      forward([out]: [Tensor]): Tensor {
        return out.reshape(7);
      }
    }
    const seq = new nn.Sequential(new nn.GRU(3, 4) as never, new Unpack() as never);
    expect(() => seq.forward(torch.zeros(2, 1, 3))).toThrow(torch.ShapeError);
  });
});
