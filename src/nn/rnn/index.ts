/** Recurrent layers and cells. PyTorch: `torch.nn.RNN`, `LSTM`, `GRU`, `RNNCell`, `LSTMCell`, `GRUCell`. */

export type { RNNBaseOptions } from './base.js';
export { RNNBase } from './base.js';
export type { CellInit, RNNCellBaseOptions, RNNCellInit, RNNCellOptions } from './cells.js';
export { GRUCell, LSTMCell, RNNCell, RNNCellBase } from './cells.js';
export type { GRUInit, GRUOptions, LSTMInit, LSTMOptions, Nonlinearity, RNNInit, RNNOptions, RnnType } from './layers.js';
export { GRU, LSTM, RNN } from './layers.js';
