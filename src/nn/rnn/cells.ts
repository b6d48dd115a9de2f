/**
 * One-step recurrent cells. PyTorch: `torch.nn.RNNCell`, `torch.nn.LSTMCell`, `torch.nn.GRUCell`.
 * They run through the same `rnnLayer` op and kernel as the layers, with one step
 * (batchSizes = [N]), so a cell and a one-step layer compute exactly the same numbers.
 */

import { ArgumentTypeError, RuntimeError, ShapeError, ValueError } from '../../errors.js';
import type { RnnMode } from '../../kernels/rnn.js';
import { gateCount } from '../../kernels/rnn.js';
import { uniform, zeros } from '../../ops/creation.js';
import { rnnLayer } from '../../ops/rnn.js';
import { squeezeDims, unsqueeze } from '../../ops/shape.js';
import { defineOptions, opt } from '../../options.js';
import type { FloatDType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { resetUniform, SIZE_OPTIONS } from './base.js';
import { checkLayerOptions, checkRecurrentInput, checkStates } from './checks.js';
import type { Nonlinearity } from './layers.js';

/** Options of every cell. PyTorch: the keyword arguments of `torch.nn.RNNCellBase`. */
export interface RNNCellBaseOptions {
  /** Whether the cell has `bias_ih`/`bias_hh`. Default true. */
  bias?: boolean;
  /** Parameter dtype. Default 'float32'. */
  dtype?: FloatDType;
}

/** `nn.RNNCell` options. PyTorch: the keyword arguments of `torch.nn.RNNCell`. */
export interface RNNCellOptions extends RNNCellBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

/** `nn.RNNCell` options with the sizes, as one object. PyTorch: `torch.nn.RNNCell(input_size, hidden_size, **kwargs)`. */
export type RNNCellInit = RNNCellOptions & { inputSize: number; hiddenSize: number };
/** A cell's options with the sizes, as one object. PyTorch: `torch.nn.LSTMCell` / `GRUCell(input_size, hidden_size, **kwargs)`. */
export type CellInit = RNNCellBaseOptions & { inputSize: number; hiddenSize: number };

/** Run-time checks of the cells' options (src/options.ts), declared beside them. */
export const CELL_OPTIONS = defineOptions<RNNCellBaseOptions>('nn.LSTMCell', { bias: opt.bool, dtype: opt.string });
// PyTorch checks the RNNCell's nonlinearity when the cell runs; only its type is checked here.
export const RNN_CELL_OPTIONS = CELL_OPTIONS.extend<RNNCellOptions>('nn.RNNCell', { nonlinearity: opt.string });
const RNN_CELL_INIT = RNN_CELL_OPTIONS.extend<RNNCellInit>('nn.RNNCell', SIZE_OPTIONS);
const CELL_INIT = CELL_OPTIONS.extend<CellInit>('nn.LSTMCell', SIZE_OPTIONS);

function resolve<O extends RNNCellBaseOptions>(
  a: number | (O & { inputSize: number; hiddenSize: number }),
  hiddenSize: number | undefined,
  options: O | undefined,
  owner: string,
): O & { inputSize: number; hiddenSize: number } {
  const rnn = owner === 'nn.RNNCell';
  if (typeof a === 'object' && a !== null) {
    if (hiddenSize !== undefined || options !== undefined) {
      throw new ArgumentTypeError(`${owner}(): the object form takes no further arguments`);
    }
    return (rnn ? RNN_CELL_INIT : CELL_INIT).parse(a, owner) as O & { inputSize: number; hiddenSize: number };
  }
  const o = (rnn ? RNN_CELL_OPTIONS : CELL_OPTIONS).parse(options, owner) as O;
  return { ...o, inputSize: a, hiddenSize: hiddenSize as number };
}

/**
 * The base of the cells. PyTorch: `torch.nn.RNNCellBase`. Parameters `weight_ih` (G*H, Hin),
 * `weight_hh` (G*H, H), `bias_ih`, `bias_hh` (G*H) (registered as null when bias is false), all
 * from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) drawn from torchlet's generator.
 */
export abstract class RNNCellBase extends Module {
  /** `RNNCellBase`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'RNNCellBase';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weight_ih: Parameter;
  readonly weight_hh: Parameter;
  readonly bias_ih: Parameter | null;
  readonly bias_hh: Parameter | null;

  protected constructor(
    protected readonly cellMode: RnnMode,
    a: RNNCellBaseOptions & { inputSize: number; hiddenSize: number },
  ) {
    super();
    checkLayerOptions({ hiddenSize: a.hiddenSize, inputSize: a.inputSize, numLayers: 1, dropout: 0, projSize: 0 });
    this.inputSize = a.inputSize;
    this.hiddenSize = a.hiddenSize;
    this.bias = a.bias ?? true;
    const G = gateCount(cellMode);
    const k = 1 / Math.sqrt(this.hiddenSize);
    const param = (shape: number[]) => new Parameter(uniform(shape, -k, k, { dtype: a.dtype ?? 'float32' }));
    this.weight_ih = this.registerParameter('weight_ih', param([G * this.hiddenSize, this.inputSize]));
    this.weight_hh = this.registerParameter('weight_hh', param([G * this.hiddenSize, this.hiddenSize]));
    this.bias_ih = this.registerParameter('bias_ih', this.bias ? param([G * this.hiddenSize]) : null);
    this.bias_hh = this.registerParameter('bias_hh', this.bias ? param([G * this.hiddenSize]) : null);
  }

  /** PyTorch: `reset_parameters()`. */
  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.bias !== true) s += ', bias=False';
    return s;
  }

  /**
   * The shared step: input (N, Hin) or (Hin); states (N, H) or (H) in the same form, or zeros.
   * Checks as PyTorch (Python's 1D/2D checks, then RNN.cpp's size checks), runs one step.
   */
  protected step(input: Tensor, hx: readonly Tensor[] | null, name: string): Tensor[] {
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new ValueError(`${name}: Expected input to be 1D or 2D, got ${input.ndim}D instead`);
    }
    const lstm = this.cellMode === 'LSTM';
    hx?.forEach((h, i) => {
      if (h.ndim !== 1 && h.ndim !== 2) {
        const what = lstm ? `hx[${i}]` : 'hidden';
        throw new ValueError(`${name}: Expected ${what} to be 1D or 2D, got ${h.ndim}D instead`);
      }
    });
    const batched = input.ndim === 2;
    const x = batched ? input : unsqueeze(input, 0);
    const N = x.shape[0];
    if (x.shape[1] !== this.inputSize) {
      throw new ShapeError(`input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`);
    }
    const states = hx
      ? hx.map((h) => (batched ? h : unsqueeze(h, 0)))
      : (lstm ? [0, 1] : [0]).map(() => zeros([N, this.hiddenSize], { dtype: input.dtype === 'float64' ? 'float64' : 'float32' }));
    states.forEach((h, k) => {
      if (h.ndim !== 2) {
        // PyTorch parity: PyTorch lets a 1-D/2-D mismatch through to less clear C++ errors.
        throw new ShapeError(
          `${name}: hx must be ${batched ? '2-D (N, H) for 2-D' : '1-D (H) for 1-D'} input, got ${h.ndim - (batched ? 0 : 1)}-D`,
        );
      }
      if (h.shape[0] !== N) throw new ShapeError(`Input batch size ${N} doesn't match hidden${k} batch size ${h.shape[0]}`);
      if (h.shape[1] !== this.hiddenSize) {
        throw new ShapeError(`hidden${k} has inconsistent hidden_size: got ${h.shape[1]}, expected ${this.hiddenSize}`);
      }
    });
    const [, hN, cN] = rnnLayer({
      mode: this.cellMode,
      input: x,
      batchSizes: Int32Array.of(N),
      weights: { wIh: this.weight_ih, wHh: this.weight_hh, bIh: this.bias_ih, bHh: this.bias_hh, wHr: null },
      h0: states[0],
      c0: lstm ? states[1] : null,
      reverse: false,
    });
    const out = cN ? [hN, cN] : [hN];
    return batched ? out : out.map((t) => squeezeDims(t, [0]));
  }
}

/**
 * An Elman RNN cell. PyTorch: `torch.nn.RNNCell`.
 *
 *   h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)    (relu with nonlinearity: 'relu')
 *
 * Shape: input (N, Hin) or (Hin); hx (N, H) or (H), zeros when left out; returns h' like hx.
 *
 * @example
 *   const cell = new nn.RNNCell(10, 20);
 *   const h1 = cell.forward(torch.randn(3, 10)); // (3, 20)
 */
export class RNNCell extends RNNCellBase {
  /** `RNNCell`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'RNNCell';
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number | RNNCellInit, hiddenSize?: number, options?: RNNCellOptions) {
    const a = resolve<RNNCellOptions>(inputSize, hiddenSize, options, 'nn.RNNCell');
    const nl = a.nonlinearity ?? 'tanh';
    super(nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', a);
    this.nonlinearity = nl;
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== 'tanh' ? `, nonlinearity=${this.nonlinearity}` : '');
  }

  /** Returns h' (N, H) or (H). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    // PyTorch checks the nonlinearity when the cell runs, not when it is built.
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new RuntimeError(`Unknown nonlinearity: ${String(this.nonlinearity)}`);
    }
    checkRecurrentInput(input, 'RNNCell', false);
    return this.step(input, checkStates(hx, 'RNNCell', false), 'RNNCell')[0];
  }
}

/**
 * A long short-term memory cell. PyTorch: `torch.nn.LSTMCell`.
 *
 *   i, f, o = σ(·), g = tanh(·) of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh (rows i, f, g, o)
 *   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
 *
 * Shape: input (N, Hin) or (Hin); hx = [h, c], each (N, H) or (H), zeros when left out;
 * returns [h', c'] like hx.
 *
 * @example
 *   const cell = new nn.LSTMCell(10, 20);
 *   const [h1, c1] = cell.forward(torch.randn(3, 10)); // (3, 20) each
 */
export class LSTMCell extends RNNCellBase {
  /** `LSTMCell`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'LSTMCell';
  constructor(inputSize: number | CellInit, hiddenSize?: number, options?: RNNCellBaseOptions) {
    super('LSTM', resolve<RNNCellBaseOptions>(inputSize, hiddenSize, options, 'nn.LSTMCell'));
  }

  /** Returns [h', c']. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    checkRecurrentInput(input, 'LSTMCell', false);
    const [h, c] = this.step(input, checkStates(hx, 'LSTMCell', true), 'LSTMCell');
    return [h!, c!];
  }
}

/**
 * A gated recurrent unit cell. PyTorch: `torch.nn.GRUCell`.
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Shape: input (N, Hin) or (Hin); hx (N, H) or (H), zeros when left out; returns h' like hx.
 *
 * @example
 *   const cell = new nn.GRUCell(10, 20);
 *   const h1 = cell.forward(torch.randn(10)); // (20)
 */
export class GRUCell extends RNNCellBase {
  /** `GRUCell`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'GRUCell';
  constructor(inputSize: number | CellInit, hiddenSize?: number, options?: RNNCellBaseOptions) {
    super('GRU', resolve<RNNCellBaseOptions>(inputSize, hiddenSize, options, 'nn.GRUCell'));
  }

  /** Returns h' (N, H) or (H). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    checkRecurrentInput(input, 'GRUCell', false);
    return this.step(input, checkStates(hx, 'GRUCell', false), 'GRUCell')[0];
  }
}
