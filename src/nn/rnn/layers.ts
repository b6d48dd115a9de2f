/**
 * The multi-layer recurrent layers `nn.RNN`, `nn.LSTM`, `nn.GRU`. Each is a thin shell over
 * `RNNBase` (the parameters and the one layer runner): it picks the mode, validates its own
 * options and gives `forward` its PyTorch return structure.
 */

import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { opt } from '../../options.js';
import type { RNNBaseConfig, RNNBaseOptions } from './base.js';
import { RNN_BASE_OPTIONS, RNNBase, resolveArgs, SIZE_OPTIONS } from './base.js';

/** PyTorch: the `nonlinearity` argument of `nn.RNN` / `nn.RNNCell`. */
export type Nonlinearity = 'tanh' | 'relu';

/** `nn.RNN` options. PyTorch: the keyword arguments of `torch.nn.RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

/** `nn.LSTM` options. PyTorch: the keyword arguments of `torch.nn.LSTM`. */
export interface LSTMOptions extends RNNBaseOptions {
  /** Project h to this size (LSTMP); 0 (default) disables it; must be < hiddenSize. */
  projSize?: number;
}

/** `nn.GRU` options. PyTorch: the keyword arguments of `torch.nn.GRU`. */
export type GRUOptions = RNNBaseOptions;

/** `nn.RNN` options with the sizes, as one object. PyTorch: `torch.nn.RNN(input_size, hidden_size, **kwargs)`. */
export type RNNInit = RNNOptions & { inputSize: number; hiddenSize: number };
/** `nn.LSTM` options with the sizes, as one object. PyTorch: `torch.nn.LSTM(input_size, hidden_size, **kwargs)`. */
export type LSTMInit = LSTMOptions & { inputSize: number; hiddenSize: number };
/** `nn.GRU` options with the sizes, as one object. PyTorch: `torch.nn.GRU(input_size, hidden_size, **kwargs)`. */
export type GRUInit = GRUOptions & { inputSize: number; hiddenSize: number };

/** Run-time checks of the options above (src/options.ts), declared beside them. */
export const RNN_OPTIONS = RNN_BASE_OPTIONS.extend<RNNOptions>('nn.RNN', { nonlinearity: opt.string });
export const LSTM_OPTIONS = RNN_BASE_OPTIONS.extend<LSTMOptions>('nn.LSTM', { projSize: opt.any });
export const GRU_OPTIONS = RNN_BASE_OPTIONS.extend<GRUOptions>('nn.GRU', {});
const RNN_INIT = RNN_OPTIONS.extend<RNNInit>('nn.RNN', SIZE_OPTIONS);
const LSTM_INIT = LSTM_OPTIONS.extend<LSTMInit>('nn.LSTM', SIZE_OPTIONS);
const GRU_INIT = GRU_OPTIONS.extend<GRUInit>('nn.GRU', SIZE_OPTIONS);

/** PyTorch checks `"proj_size" in kwargs`, so even proj_size=0 is refused by RNN and GRU (a ValueError, before the options check). */
function refuseProjSize(...args: unknown[]): void {
  if (args.some((a) => typeof a === 'object' && a !== null && 'projSize' in a)) {
    throw new ValueError('proj_size argument is only supported for LSTM, not RNN or GRU');
  }
}

/** The name of a recurrent layer class, for choosing one by name: `new nn[rnnType](...)`. PyTorch: `getattr(nn, rnn_type)`. */
export type RnnType = 'RNN' | 'LSTM' | 'GRU';

function config(a: RNNBaseOptions & { inputSize: number; hiddenSize: number; projSize?: number }): RNNBaseConfig {
  return {
    inputSize: a.inputSize,
    hiddenSize: a.hiddenSize,
    numLayers: a.numLayers ?? 1,
    bias: a.bias ?? true,
    batchFirst: a.batchFirst ?? false,
    dropout: a.dropout ?? 0,
    bidirectional: a.bidirectional ?? false,
    projSize: a.projSize ?? 0,
    dtype: a.dtype ?? 'float32',
  };
}

/**
 * Multi-layer Elman RNN with tanh or ReLU. PyTorch: `torch.nn.RNN`.
 *
 *   h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)     (relu instead of tanh when nonlinearity: 'relu')
 *
 * Shape (N batch, L length, D = bidirectional ? 2 : 1, Hin = inputSize, Hout = hiddenSize):
 * - input:  (L, N, Hin), (N, L, Hin) if batchFirst, (L, Hin) unbatched, or a PackedSequence
 * - h0:     (D*numLayers, N, Hout) ((D*numLayers, Hout) unbatched), zeros when left out; batchFirst never applies
 * - output: (L, N, D*Hout) (batch first if batchFirst), `[forward | reverse]` on the last dim;
 *           a PackedSequence for packed input
 * - hN:     like h0, rows `layer*D + direction`; the reverse direction's final state is its state at t = 0
 *
 * Parameters: `weight_ih_l{k}{_reverse}` (Hout, Hin) for k = 0, (Hout, D*Hout) above;
 * `weight_hh_l{k}` (Hout, Hout); `bias_ih_l{k}`, `bias_hh_l{k}` (Hout). All start from
 * U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) drawn from the generator `torch.manualSeed` seeds
 * (reproducible, but not PyTorch's numbers: load PyTorch's weights with `loadStateDict`).
 *
 * Constructor: `new nn.RNN(inputSize, hiddenSize, { numLayers, nonlinearity, bias, batchFirst, dropout, bidirectional, dtype })`,
 * `new nn.RNN(inputSize, hiddenSize, numLayers, { ... })` or `new nn.RNN({ inputSize, hiddenSize, ... })`.
 * PyTorch parity: Python's `nn.RNN` takes `nonlinearity` as its 4th positional argument (LSTM and
 * GRU take `bias` there); here every option after numLayers is named, so the quirk cannot bite.
 *
 * @example
 *   const rnn = new nn.RNN(10, 20, { numLayers: 2 });
 *   const [output, hN] = rnn.forward(torch.randn(5, 3, 10)); // output (5, 3, 20), hN (2, 3, 20)
 */
export class RNN extends RNNBase {
  /** `RNN`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'RNN';
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number | RNNInit, hiddenSize?: number, numLayersOrOptions?: number | RNNOptions, options?: RNNOptions) {
    refuseProjSize(inputSize, numLayersOrOptions, options);
    const a = resolveArgs<RNNOptions>({ inputSizeOrInit: inputSize, hiddenSize, numLayersOrOptions, options }, RNN_OPTIONS, RNN_INIT);
    const nl = a.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new ValueError(`Unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
    }
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', config(a));
    this.nonlinearity = nl;
  }

  declare readonly stateType: Tensor;

  protected get errorName(): string {
    return 'RNN';
  }

}

/**
 * Multi-layer long short-term memory. PyTorch: `torch.nn.LSTM`.
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')      (h' = (o ⊙ tanh(c')) W_hrᵀ with projSize)
 *
 * Gate rows are packed i, f, g, o in `weight_ih`/`weight_hh`/biases, as PyTorch's.
 *
 * Shape (N batch, L length, D = bidirectional ? 2 : 1, Hin = inputSize, H = hiddenSize,
 * Hout = projSize || hiddenSize):
 * - input:  (L, N, Hin), (N, L, Hin) if batchFirst, (L, Hin) unbatched, or a PackedSequence
 * - h0: (D*numLayers, N, Hout), c0: (D*numLayers, N, H) (no N when unbatched), zeros when left out
 * - output: (L, N, D*Hout) (batch first if batchFirst), `[forward | reverse]`; a PackedSequence for packed input
 * - hN, cN: like h0, c0, rows `layer*D + direction`; the reverse direction's final state is its state at t = 0
 *
 * Parameters: `weight_ih_l{k}{_reverse}` (4H, Hin or D*Hout), `weight_hh_l{k}` (4H, Hout),
 * `bias_ih_l{k}`, `bias_hh_l{k}` (4H), `weight_hr_l{k}` (Hout, H) when projSize > 0. All start
 * from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) (torchlet's generator, not PyTorch's numbers).
 *
 * @example
 *   const lstm = new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true });
 *   const [output, [hN, cN]] = lstm.forward(torch.randn(4, 7, 60)); // output (4, 7, 20); hN, cN (2, 4, 20)
 */
export class LSTM extends RNNBase {
  /** `LSTM`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'LSTM';
  constructor(inputSize: number | LSTMInit, hiddenSize?: number, numLayersOrOptions?: number | LSTMOptions, options?: LSTMOptions) {
    const args = { inputSizeOrInit: inputSize, hiddenSize, numLayersOrOptions, options };
    super('LSTM', config(resolveArgs<LSTMOptions>(args, LSTM_OPTIONS, LSTM_INIT)));
  }

  declare readonly stateType: [Tensor, Tensor];

  protected get errorName(): string {
    return 'LSTM';
  }

}

/**
 * Multi-layer gated recurrent unit. PyTorch: `torch.nn.GRU`.
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Gate rows are packed r, z, n; b_hn sits inside the reset product, exactly as PyTorch (ONNX's
 * `linear_before_reset = 1`).
 *
 * Shape (N batch, L length, D = bidirectional ? 2 : 1, Hin = inputSize, Hout = hiddenSize):
 * - input:  (L, N, Hin), (N, L, Hin) if batchFirst, (L, Hin) unbatched, or a PackedSequence
 * - h0:     (D*numLayers, N, Hout) ((D*numLayers, Hout) unbatched), zeros when left out
 * - output: (L, N, D*Hout) (batch first if batchFirst), `[forward | reverse]`; a PackedSequence for packed input
 * - hN:     like h0, rows `layer*D + direction`; the reverse direction's final state is its state at t = 0
 *
 * Parameters: `weight_ih_l{k}{_reverse}` (3H, Hin or D*H), `weight_hh_l{k}` (3H, H), `bias_ih_l{k}`,
 * `bias_hh_l{k}` (3H), all from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) (torchlet's generator).
 *
 * @example
 *   const gru = new nn.GRU(8, 16, { bidirectional: true });
 *   const [output, hN] = gru.forward(torch.randn(5, 2, 8)); // output (5, 2, 32), hN (2, 2, 16)
 */
export class GRU extends RNNBase {
  /** `GRU`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'GRU';
  constructor(inputSize: number | GRUInit, hiddenSize?: number, numLayersOrOptions?: number | GRUOptions, options?: GRUOptions) {
    refuseProjSize(inputSize, numLayersOrOptions, options);
    super('GRU', config(resolveArgs<GRUOptions>({ inputSizeOrInit: inputSize, hiddenSize, numLayersOrOptions, options }, GRU_OPTIONS, GRU_INIT)));
  }

  declare readonly stateType: Tensor;

  protected get errorName(): string {
    return 'GRU';
  }

}
