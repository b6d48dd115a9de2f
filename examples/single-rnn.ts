/**
 * The seed's `SingleRNN`: a container module for one recurrent layer, the building block of
 * dual-path RNN speech-separation models. Python original (PyTorch):
 *
 *   class SingleRNN(nn.Module):
 *       def __init__(self, rnn_type, input_size, hidden_size, dropout=0, bidirectional=False):
 *           super(SingleRNN, self).__init__()
 *           self.rnn_type = rnn_type
 *           self.input_size = input_size
 *           self.hidden_size = hidden_size
 *           self.num_direction = int(bidirectional) + 1
 *           self.rnn = getattr(nn, rnn_type)(input_size, hidden_size, 1, dropout=dropout,
 *                                            batch_first=True, bidirectional=bidirectional)
 *       def forward(self, input):
 *           # input shape: batch, seq, dim
 *           output = input
 *           rnn_output, _ = self.rnn(output)
 *           return rnn_output
 *
 * Shape (N batch, L length, D = bidirectional ? 2 : 1): input (N, L, inputSize) →
 * output (N, L, D*hiddenSize).
 *
 * Run it: `npx tsx examples/single-rnn.ts`.
 */
import * as torch from '../src/index.js';

const { nn } = torch;

export class SingleRNN extends nn.Module {
  readonly rnnType: torch.nn.RnnType;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numDirection: number;
  readonly rnn: torch.nn.RNNBase;

  /**
   * @param rnnType 'RNN', 'LSTM' or 'GRU' (the seed's `getattr(nn, rnn_type)`)
   * @param inputSize dimension of the input feature; the input is (batch, seq_len, inputSize)
   * @param hiddenSize dimension of the hidden state
   * @param dropout dropout ratio (default 0; with one layer PyTorch ignores it and warns)
   * @param bidirectional whether the layer runs in both directions (default false)
   */
  constructor(rnnType: torch.nn.RnnType, inputSize: number, hiddenSize: number, dropout = 0, bidirectional = false) {
    super();
    this.rnnType = rnnType;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numDirection = Number(bidirectional) + 1;
    this.rnn = new nn[rnnType](inputSize, hiddenSize, 1, { dropout, batchFirst: true, bidirectional });
  }

  /** input (N, L, inputSize) → the output sequence (N, L, numDirection*hiddenSize); the final states are dropped. */
  forward(input: torch.Tensor): torch.Tensor {
    const output = input;
    const [rnnOutput] = this.rnn.forward(output);
    return rnnOutput;
  }
}

// Run directly: build one of each type and print the shapes the seed describes.
if (import.meta.url === `file://${process.argv[1]}`) {
  torch.manualSeed(0);
  const x = torch.randn(4, 100, 64); // (batch, seq, dim)
  for (const rnnType of ['RNN', 'LSTM', 'GRU'] as const) {
    const model = new SingleRNN(rnnType, 64, 32, 0, true);
    const y = model.forward(x);
    console.log(`${model.toString().split('\n').join(' ')} → output ${JSON.stringify(y.shape)}`);
  }
}
