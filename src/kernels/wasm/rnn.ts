/**
 * The fused recurrent kernel on WebAssembly SIMD: implements `RnnKernel` (src/kernels/rnn.ts)
 * for float32 and hands anything else (float64, no WebAssembly SIMD, `setKernelPreference('ref')`)
 * to the reference kernel itself. PyTorch twin: the CPU `_VF.lstm` / `_VF.gru` / `_VF.rnn_tanh` /
 * `_VF.rnn_relu` layer loops (aten/src/ATen/native/RNN.cpp), one direction of one layer at a time.
 *
 * The time loop of every cell, forward and backward, runs in WebAssembly (assembly/layer.ts);
 * this folder only places data and calls it:
 * - forward.ts: place a direction (weights packed once, states, output), write its jobs, run,
 *   copy out. Forward per direction: one big GEMM for the input projection of many steps (all of
 *   them when training; chunks of about 512 rows in inference), then per step one GEMM on W_hh
 *   and one fused cell pass (bias folded in, gate nonlinearities, state update).
 * - backward.ts: BPTT per step in reverse, the gate gradients of all steps kept, then dx, dW_ih,
 *   dW_hh (and dW_hr) as one large GEMM each, the biases one column sum.
 * - saved.ts: what forward keeps for backward, pinned in wasm memory (or copied out past the
 *   budget), released by backward or by the garbage collector.
 * - partition.ts: threads (setNumThreads): the batch rows of a layer split across them (each
 *   part runs the whole recurrence of its rows), or directions side by side.
 * - layout.ts: sizes, the saved-state layout, job blocks (fields from assembly/abi.ts).
 * Long inference runs in time segments (src/kernels/segments.ts), so the wasm memory it needs
 * does not grow with the sequence length.
 */
import { refRnnKernel } from '../ref/rnn.js';
import { type FloatArray, forwardInTurn, type RnnForwardArgs, type RnnForwardManyResult, type RnnForwardResult, type RnnKernel } from '../rnn.js';
import { forwardManySegmented, forwardSegmented, wantsSegments } from '../segments.js';
import { forwardOne, forwardSide } from './forward.js';
import { wasmKernels } from './loader.js';
import { threadPool } from './threads.js';

function supports(x: FloatArray): boolean {
  return x instanceof Float32Array && wasmKernels() !== null;
}

function forward<A extends FloatArray>(args: RnnForwardArgs<A>): RnnForwardResult<A> {
  const w = wasmKernels();
  if (!w || !(args.x instanceof Float32Array)) return refRnnKernel.forward(args);
  const run = (a: RnnForwardArgs<A>): RnnForwardResult<A> => forwardOne(w, a);
  return wantsSegments(args) ? forwardSegmented(args, run) : run(args);
}

/**
 * Several directions at once: side by side (one per thread) with a pool of at least as many
 * threads, else one after the other on this thread, joined when asked; batch-first when given so
 * (`takesBatchFirst`). One direction: `forward` (which may split its batch rows across the threads).
 */
function forwardMany<A extends FloatArray>(argsList: RnnForwardArgs<A>[], join = false): RnnForwardManyResult<A> {
  const w = wasmKernels();
  const pool = threadPool();
  const bf = argsList[0]?.batchFirst === true;
  if (!bf && (!w || argsList.length < 2 || (pool && argsList.length > pool.n) || !argsList.every((a) => supports(a.x)))) return forwardInTurn({ forward }, argsList);
  if (!bf && !argsList.every((a) => a.needsGrad) && argsList.some((a) => wantsSegments(a, false))) {
    return pool ? forwardManySegmented(argsList, join, (list) => forwardSide(pool.w, pool, list, false, false)) : forwardInTurn({ forward }, argsList);
  }
  return forwardSide(pool ? pool.w : w!, pool, argsList, join, bf);
}

/** Two directions of float32 rows not cut in time: `forwardMany` runs them batch-first itself. */
function takesBatchFirst(list: RnnForwardArgs[]): boolean {
  return list.length === 2 && list.every((a) => supports(a.x) && !wantsSegments(a, false));
}

/** The WebAssembly SIMD recurrent kernel (float32; the reference kernel for anything else). */
export const wasmRnnKernel: RnnKernel = { name: 'wasm', supports, forward, forwardMany, takesBatchFirst };
