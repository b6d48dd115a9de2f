/**
 * The reference recurrent kernel: implements `RnnKernel` (src/kernels/rnn.ts) with plain loops
 * (./rnn-loops.ts, whose code the Node bundle loads at the first call: tools/finish-build.mjs).
 * It is the oracle the fast kernels are tested against. PyTorch twin: the CPU layer loops of
 * aten/src/ATen/native/RNN.cpp for one direction of one layer.
 */
import type { RnnKernel } from '../rnn.js';
import { forwardInTurn } from '../rnn.js';
import { refRnnForward as forward } from './rnn-loops.js';

/** The reference kernel: every float dtype, every mode. */
export const refRnnKernel: RnnKernel = {
  name: 'ref',
  supports: () => true,
  forward,
  forwardMany: (argsList) => forwardInTurn({ forward }, argsList),
};
