/**
 * Every error and warning of the recurrent layers and cells: PyTorch's wording (2.x), the typed
 * error class and its `pytorchType`, the beginner hints, and that nothing changes when they throw.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, ValueError } from '../src/index.js';
import { rnnLayer } from '../src/ops/rnn.js';
import { expectError } from './helpers/errors.js';

const { nn } = torch;

afterEach(() => vi.restoreAllMocks());

describe('constructor validation', () => {
  it('dropout outside [0, 1]', () => {
    for (const dropout of [-0.1, 1.5, Number.NaN]) {
      expectError(
        () => new nn.LSTM(3, 4, { dropout }),
        ValueError,
        'dropout should be a number in range [0, 1] representing the probability of an element being zeroed',
        'ValueError',
      );
    }
  });

  it('warns when dropout is set with one layer (the seed\'s getattr example does this)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    new nn.GRU(60, 20, 1, { batchFirst: true, dropout: 0.2, bidirectional: 1 });
    expect(warn).toHaveBeenCalledWith(
      'UserWarning: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=0.2 and num_layers=1',
    );
    warn.mockClear();
    new nn.GRU(60, 20, 2, { dropout: 0.2 });
    expect(warn).not.toHaveBeenCalled();
  });

  it('hiddenSize of the wrong type or not positive', () => {
    expectError(() => new nn.RNN(3, 2.5), ArgumentTypeError, 'hidden_size should be of type int, got: float', 'TypeError');
    expectError(() => new nn.RNN(3, 0), ValueError, 'hidden_size must be greater than zero');
    expectError(() => new nn.GRUCell(3, -1), ValueError, 'hidden_size must be greater than zero');
  });

  it('numLayers not positive', () => {
    expectError(() => new nn.LSTM(3, 4, 0), ValueError, 'num_layers must be greater than zero', 'ValueError');
  });

  it('projSize negative, too large, or on RNN/GRU', () => {
    expectError(() => new nn.LSTM(3, 4, { projSize: -1 }), ValueError, 'proj_size should be a positive integer or zero to disable projections');
    expectError(() => new nn.LSTM(3, 4, { projSize: 4 }), ValueError, 'proj_size has to be smaller than hidden_size');
    // The common constructor signature of nn[rnnType] admits projSize; RNN and GRU refuse it.
    const make = (type: torch.nn.RnnType) => new nn[type](3, 4, { projSize: 2 });
    expect(make('LSTM').projSize).toBe(2);
    for (const t of ['RNN', 'GRU'] as const) {
      expectError(() => make(t), ValueError, 'proj_size argument is only supported for LSTM, not RNN or GRU');
    }
  });

  it('unknown nonlinearity', () => {
    const bad: string = 'sigmoid';
    expectError(
      () => new nn.RNN(3, 4, { nonlinearity: bad as torch.nn.Nonlinearity }),
      ValueError,
      "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
    );
    const cell = new nn.RNNCell(3, 4, { nonlinearity: bad as torch.nn.Nonlinearity });
    expectError(() => cell.forward(torch.zeros(3)), RuntimeError, 'Unknown nonlinearity: sigmoid', 'RuntimeError');
  });
});

describe('layer forward checks', () => {
  it('input of the wrong rank: RNN says "tensor", LSTM and GRU do not', () => {
    const x = torch.zeros(2, 3, 4, 5);
    expectError(() => new nn.RNN(5, 4).forward(x), ValueError, 'RNN: Expected input to be 2D or 3D, got 4D tensor instead', 'ValueError');
    expectError(() => new nn.LSTM(5, 4).forward(x), ValueError, 'LSTM: Expected input to be 2D or 3D, got 4D instead');
    expectError(() => new nn.GRU(5, 4).forward(torch.zeros(5)), ValueError, 'GRU: Expected input to be 2D or 3D, got 1D instead');
  });

  it('hx rank must follow the input (RNN, GRU)', () => {
    const rnn = new nn.RNN(3, 4);
    expectError(() => rnn.forward(torch.zeros(5, 3), torch.zeros(1, 1, 4)), ShapeError, 'For unbatched 2-D input, hx should also be 2-D but got 3-D tensor', 'RuntimeError');
    expectError(() => rnn.forward(torch.zeros(5, 2, 3), torch.zeros(1, 4)), ShapeError, 'For batched 3-D input, hx should also be 3-D but got 2-D tensor');
  });

  it('hx and cx rank must follow the input (LSTM)', () => {
    const lstm = new nn.LSTM(3, 4);
    expectError(
      () => lstm.forward(torch.zeros(5, 2, 3), [torch.zeros(1, 2, 4), torch.zeros(2, 4)]),
      ShapeError,
      'For batched 3-D input, hx and cx should also be 3-D but got (3-D, 2-D) tensors',
    );
    expectError(
      () => lstm.forward(torch.zeros(5, 3), [torch.zeros(1, 1, 4), torch.zeros(1, 1, 4)]),
      ShapeError,
      'For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors',
    );
  });

  it('input dtype must be the weights\' dtype', () => {
    expectError(
      () => new nn.GRU(3, 4).forward(torch.zeros(5, 2, 3, { dtype: 'float64' })),
      DTypeError,
      'input must have the type torch.float32, got type torch.float64',
      'ValueError',
    );
  });

  it('packed data must be 2-D', () => {
    const ps = new nn.utils.PackedSequence(torch.zeros(4, 1, 3), torch.tensor([2, 2], { dtype: 'int32' }));
    expectError(() => new nn.RNN(3, 4).forward(ps), ShapeError, 'input must have 2 dimensions, got 3', 'RuntimeError');
  });

  it('input.size(-1) must be inputSize, with the seed\'s hints', () => {
    // The seed's example sizes: inputSize 60, a 20-feature input.
    const e1 = expectError(
      () => new nn.LSTM(60, 20).forward(torch.zeros(5, 3, 20)),
      ShapeError,
      'input.size(-1) must be equal to input_size. Expected 60, got 20.',
      'RuntimeError',
    );
    expect(e1.message).toMatch(/Hint: inputSize is the number of features at each time step, the last dim of the input \(here 20\)/);
    // Time steps (100) passed as inputSize: dim 1 of a batch-first input holds 100.
    const e2 = expectError(
      () => new nn.LSTM(100, 20, { batchFirst: true }).forward(torch.zeros(4, 100, 60)),
      ShapeError,
      'input.size(-1) must be equal to input_size. Expected 100, got 60.',
    );
    expect(e2.message).toMatch(/not the number of steps; dim 1 of your input \[4, 100, 60\] has size 100/);
    // A Conv1d output (N, C, L) fed as is: the channels sit on dim 1.
    const e3 = expectError(() => new nn.GRU(16, 8, { batchFirst: true }).forward(torch.zeros(2, 16, 50)), ShapeError, 'input.size(-1)');
    expect(e3.message).toMatch(/as in a Conv1d output \(N, C, L\)\), move them last with x.transpose\(1, 2\)/);
  });

  it('hidden size mismatch: PyTorch\'s tuple-vs-list text, hint on D*numLayers', () => {
    const gru = new nn.GRU(20, 20, { bidirectional: true });
    const e = expectError(
      () => gru.forward(torch.zeros(5, 3, 20), torch.zeros(1, 3, 20)),
      ShapeError,
      'Expected hidden size (2, 3, 20), got [1, 3, 20]',
      'RuntimeError',
    );
    expect(e.message).toMatch(/the first dim is D\*numLayers = 2 direction\(s\) × 1 layer\(s\) = 2/);
  });

  it('hidden size mismatch from batchFirst left off on (N, L, Hin) input', () => {
    const lstm = new nn.LSTM(60, 20);
    const [N, L] = [4, 7];
    const e = expectError(
      () => lstm.forward(torch.zeros(N, L, 60), [torch.zeros(1, N, 20), torch.zeros(1, N, 20)]),
      ShapeError,
      'Expected hidden[0] size (1, 7, 20), got [1, 4, 20]',
    );
    expect(e.message).toMatch(/if your input is \(N, L, Hin\), pass batchFirst: true/);
    const bf = new nn.RNN(60, 20, { batchFirst: true });
    const e2 = expectError(() => bf.forward(torch.zeros(L, N, 60), torch.zeros(1, N, 20)), ShapeError, 'Expected hidden size (1, 7, 20), got [1, 4, 20]');
    expect(e2.message).toMatch(/if your input is \(L, N, Hin\), leave batchFirst off/);
  });

  it('states laid out batch-first get a hint', () => {
    const rnn = new nn.RNN(3, 4, { numLayers: 2, batchFirst: true });
    const e = expectError(() => rnn.forward(torch.zeros(5, 6, 3), torch.zeros(5, 2, 4)), ShapeError, 'Expected hidden size (2, 5, 4), got [5, 2, 4]');
    expect(e.message).toMatch(/states are \(D\*numLayers, N, Hout\) even with batchFirst: true/);
  });

  it('LSTM cell-state size mismatch says hidden[1]', () => {
    const lstm = new nn.LSTM(3, 4, { projSize: 2 });
    expectError(
      () => lstm.forward(torch.zeros(5, 2, 3), [torch.zeros(1, 2, 2), torch.zeros(1, 2, 2)]),
      ShapeError,
      'Expected hidden[1] size (1, 2, 4), got [1, 2, 2]',
    );
  });

  it('an empty sequence', () => {
    expectError(() => new nn.GRU(3, 4).forward(torch.zeros(0, 2, 3)), RuntimeError, 'Expected sequence length to be larger than 0 in RNN');
  });

  it('nothing changes when forward throws', () => {
    const lstm = new nn.LSTM(3, 4);
    const before = lstm.parameters().map((p) => p.toFloat32Array());
    const h0 = torch.zeros(2, 2, 4, { requiresGrad: true });
    expect(() => lstm.forward(torch.zeros(5, 2, 3), [h0, torch.zeros(1, 2, 4)])).toThrow(ShapeError);
    expect(lstm.parameters().map((p) => p.toFloat32Array())).toEqual(before);
    expect(lstm.parameters().every((p) => p.grad === null)).toBe(true);
    expect(h0.grad).toBeNull();
  });
});

describe('cell forward checks', () => {
  it('input and hidden ranks', () => {
    expectError(() => new nn.RNNCell(3, 4).forward(torch.zeros(1, 2, 3)), ValueError, 'RNNCell: Expected input to be 1D or 2D, got 3D instead', 'ValueError');
    expectError(() => new nn.RNNCell(3, 4).forward(torch.zeros(2, 3), torch.zeros(1, 2, 4)), ValueError, 'RNNCell: Expected hidden to be 1D or 2D, got 3D instead');
    expectError(() => new nn.GRUCell(3, 4).forward(torch.zeros(1, 2, 3)), ValueError, 'GRUCell: Expected input to be 1D or 2D, got 3D instead');
    expectError(() => new nn.GRUCell(3, 4).forward(torch.zeros(3), torch.zeros(1, 1, 4)), ValueError, 'GRUCell: Expected hidden to be 1D or 2D, got 3D instead');
    expectError(() => new nn.LSTMCell(3, 4).forward(torch.zeros(1, 2, 3)), ValueError, 'LSTMCell: Expected input to be 1D or 2D, got 3D instead');
    expectError(
      () => new nn.LSTMCell(3, 4).forward(torch.zeros(2, 3), [torch.zeros(2, 4), torch.zeros(1, 2, 4)]),
      ValueError,
      'LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead',
    );
    expectError(
      () => new nn.LSTMCell(3, 4).forward(torch.zeros(2, 3), [torch.zeros(1, 2, 4), torch.zeros(2, 4)]),
      ValueError,
      'LSTMCell: Expected hx[0] to be 1D or 2D, got 3D instead',
    );
  });

  it('input size, batch size and hidden size (RNN.cpp wording)', () => {
    expectError(() => new nn.GRUCell(3, 4).forward(torch.zeros(2, 5)), ShapeError, 'input has inconsistent input_size: got 5 expected 3', 'RuntimeError');
    expectError(() => new nn.RNNCell(3, 4).forward(torch.zeros(3, 3), torch.zeros(2, 4)), ShapeError, "Input batch size 3 doesn't match hidden0 batch size 2");
    expectError(() => new nn.RNNCell(3, 4).forward(torch.zeros(3, 3), torch.zeros(3, 5)), ShapeError, 'hidden0 has inconsistent hidden_size: got 5, expected 4');
    expectError(
      () => new nn.LSTMCell(3, 4).forward(torch.zeros(3, 3), [torch.zeros(3, 4), torch.zeros(2, 4)]),
      ShapeError,
      "Input batch size 3 doesn't match hidden1 batch size 2",
    );
    expectError(
      () => new nn.LSTMCell(3, 4).forward(torch.zeros(3, 3), [torch.zeros(3, 4), torch.zeros(3, 6)]),
      ShapeError,
      'hidden1 has inconsistent hidden_size: got 6, expected 4',
    );
  });

  it('hx rank must match the input rank', () => {
    expectError(() => new nn.GRUCell(3, 4).forward(torch.zeros(2, 3), torch.zeros(4)), ShapeError, 'GRUCell: hx must be 2-D (N, H) for 2-D input, got 1-D');
  });
});

describe('the rnnLayer op checks its weights', () => {
  it('weight_ih rows must be a multiple of the gate count', () => {
    expectError(
      () =>
        rnnLayer({
          mode: 'LSTM',
          input: torch.zeros(2, 3),
          batchSizes: Int32Array.of(2),
          weights: { wIh: torch.zeros(10, 3), wHh: torch.zeros(10, 2), bIh: null, bHh: null, wHr: null },
          h0: torch.zeros(2, 2),
          c0: torch.zeros(2, 2),
          reverse: false,
        }),
      ShapeError,
      'weight_ih first dim must be 4 * hidden_size = 8, but got 10',
    );
  });
});
