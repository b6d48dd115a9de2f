// Fused recurrent cells: one time step's bias-added gate pre-activations (the output of the
// step's GEMM) in, nonlinearities + state update out, in one pass over memory. Backward twins
// turn the gradient wrt h_t (and c_t) into the gate gradients and the gradient wrt h_{t-1}.
//
// Shared legend: bs = active batch rows this step, H = hidden size, G = gates per cell; all
// buffers row-major with rows of G*H (gates) or H (states), byte pointers into memory.
// The LSTM and GRU steps share one walk over rows and units (eachUnit: units 4 at a time, then
// a 1-3 unit tail through the same inline body); each passes the buffers its unit body reads.
import { ldn, madd, sigmoidv, splat, stn, tanhv } from './simd';

/** 1 - x, lane by lane. */
// @ts-ignore: decorator
@inline function oneMinus(x: v128): v128 {
  return f32x4.sub(splat(1.0), x);
}

/** The unit body `eachUnit` runs: a constant at every call site, so its choice folds away. */
const enum Cell {
  lstm,
  lstmBack,
  gru,
  gruBack,
}

// @ts-ignore: decorator
@inline function unitOf(cell: Cell, H4: usize, p0: usize, p1: usize, p2: usize, p3: usize, p4: usize, p5: usize, n: i32): void {
  if (cell == Cell.lstm) lstmUnit(p0, H4, p1, p2, n);
  else if (cell == Cell.lstmBack) lstmUnitBack(p0, H4, p1, p2, p3, p4, p5, n);
  else if (cell == Cell.gru) gruUnit(p0, p1, H4, p2, p3, p4, n);
  else gruUnitBack(p0, p1, H4, p2, p3, p4, p5, n);
}

/**
 * Run `cell`'s unit body over bs rows of H units: 4 units at a time, then a 1-3 unit tail.
 * Buffer k starts at pk and its rows lie sk bytes apart (0: one row every row reads, as b_hn);
 * the body gets each buffer's pointer at the current unit. Unused buffers are 0, 0.
 */
// @ts-ignore: decorator
@inline function eachUnit(
  cell: Cell, bs: i32, H: i32,
  p0: usize, s0: usize, p1: usize, s1: usize, p2: usize, s2: usize,
  p3: usize, s3: usize, p4: usize, s4: usize, p5: usize, s5: usize,
): void {
  if (bs <= 0 || H <= 0) return;
  const H4 = <usize>H << 2;
  const end = <usize>(H & ~3) << 2;
  const rem = H & 3;
  let b = 0;
  do {
    const r = <usize>b;
    const q0 = p0 + r * s0;
    const q1 = p1 + r * s1;
    const q2 = p2 + r * s2;
    const q3 = p3 + r * s3;
    const q4 = p4 + r * s4;
    const q5 = p5 + r * s5;
    let off: usize = 0;
    if (end > 0) do {
      unitOf(cell, H4, q0 + off, q1 + off, q2 + off, q3 + off, q4 + off, q5 + off, 4);
      off += 16;
    } while (off < end);
    // rem & 3: lets the optimiser see the tail is never 4 wide, so ldn/stn keep only their partial path
    if (rem) unitOf(cell, H4, q0 + end, q1 + end, q2 + end, q3 + end, q4 + end, q5 + end, rem & 3);
    b++;
  } while (b < bs);
}

// ---------------------------------------------------------------- LSTM (PyTorch: torch.nn.LSTMCell)
// i = σ(pre_i), f = σ(pre_f), g = tanh(pre_g), o = σ(pre_o); c' = f*c + i*g; h' = o*tanh(c')

// @ts-ignore: decorator
@inline function lstmUnit(gp: usize, H4: usize, cp: usize, hp: usize, n: i32): void {
  const i = sigmoidv(ldn(gp, n));
  const f = sigmoidv(ldn(gp + H4, n));
  const g = tanhv(ldn(gp + H4 * 2, n));
  const o = sigmoidv(ldn(gp + H4 * 3, n));
  stn(gp, i, n);
  stn(gp + H4, f, n);
  stn(gp + H4 * 2, g, n);
  stn(gp + H4 * 3, o, n);
  const c = madd(f, ldn(cp, n), f32x4.mul(i, g));
  stn(cp, c, n);
  stn(hp, f32x4.mul(o, tanhv(c)), n);
}

/**
 * gates is (bs, 4H): pre-activations i,f,g,o in, activations out (what backward keeps);
 * c is (bs, H): c_{t-1} in, c_t out; h is (bs, ldh): receives h_t = o * tanh(c_t).
 */
export function lstmStep(bs: i32, H: i32, gates: usize, c: usize, h: usize, ldh: i32): void {
  const H4 = <usize>H << 2;
  eachUnit(Cell.lstm, bs, H, gates, H4 * 4, c, H4, h, <usize>ldh << 2, 0, 0, 0, 0, 0, 0);
}

// @ts-ignore: decorator
@inline function lstmUnitBack(gp: usize, H4: usize, cpp: usize, cnp: usize, dhp: usize, dcp: usize, dgp: usize, n: i32): void {
  const i = ldn(gp, n);
  const f = ldn(gp + H4, n);
  const g = ldn(gp + H4 * 2, n);
  const o = ldn(gp + H4 * 3, n);
  const tc = tanhv(ldn(cnp, n));
  const dh = ldn(dhp, n);
  // dc_t = dc from step t+1 + dh * o * (1 - tanh²(c_t))
  const dc = madd(f32x4.mul(dh, o), oneMinus(f32x4.mul(tc, tc)), ldn(dcp, n));
  stn(dgp, f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, oneMinus(i))), n);
  stn(dgp + H4, f32x4.mul(f32x4.mul(dc, ldn(cpp, n)), f32x4.mul(f, oneMinus(f))), n);
  stn(dgp + H4 * 2, f32x4.mul(f32x4.mul(dc, i), oneMinus(f32x4.mul(g, g))), n);
  stn(dgp + H4 * 3, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(o, oneMinus(o))), n);
  stn(dcp, f32x4.mul(dc, f), n);
}

/**
 * gates is (bs, 4H) activations i,f,g,o; cPrev, cNew are (bs, H) c_{t-1}, c_t; dh is (bs, H)
 * the gradient wrt h_t; dc is (bs, H): dL/dc_t from later steps in, dL/dc_{t-1} out;
 * dgates is (bs, 4H) out: gradient wrt the gate pre-activations.
 */
export function lstmStepBack(bs: i32, H: i32, gates: usize, cPrev: usize, cNew: usize, dh: usize, dc: usize, dgates: usize): void {
  const H4 = <usize>H << 2;
  eachUnit(Cell.lstmBack, bs, H, gates, H4 * 4, cPrev, H4, cNew, H4, dh, H4, dc, H4, dgates, H4 * 4);
}

// ---------------------------------------------------------------- GRU (PyTorch: torch.nn.GRUCell)
// r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r*(W_hn h + b_hn)), h' = (1-z)*n + z*h
// where x_* = W_i* x + b_i* (+ b_h* for r, z, folded in by the caller) and h_* = W_h* h.

// @ts-ignore: decorator
@inline function gruUnit(xp: usize, hp: usize, H4: usize, bp: usize, sp: usize, so: usize, n: i32): void {
  const r = sigmoidv(f32x4.add(ldn(xp, n), ldn(hp, n)));
  const z = sigmoidv(f32x4.add(ldn(xp + H4, n), ldn(hp + H4, n)));
  const hn = f32x4.add(ldn(hp + H4 * 2, n), ldn(bp, n));
  const nn = tanhv(madd(r, hn, ldn(xp + H4 * 2, n)));
  stn(xp, r, n);
  stn(xp + H4, z, n);
  stn(xp + H4 * 2, nn, n);
  stn(hp + H4 * 2, hn, n);
  // (1-z)*n + z*h written as n + z*(h - n)
  stn(so, madd(z, f32x4.sub(ldn(sp, n), nn), nn), n);
}

/**
 * xg is (bs, 3H): input part in, r,z,n out; hg is (bs, 3H): W_hh h_{t-1} in, its n block
 * replaced by W_hn h + b_hn (backward needs it); bHn is (H) (zeros without bias);
 * hIn is (bs, H) h_{t-1}, hOut (bs, H) receives h_t (may be hIn).
 */
export function gruStep(bs: i32, H: i32, xg: usize, hg: usize, bHn: usize, hIn: usize, hOut: usize): void {
  const H4 = <usize>H << 2;
  eachUnit(Cell.gru, bs, H, xg, H4 * 3, hg, H4 * 3, bHn, 0, hIn, H4, hOut, H4, 0, 0);
}

// @ts-ignore: decorator
@inline function gruUnitBack(gp: usize, hgp: usize, H4: usize, hpp: usize, dhp: usize, dxp: usize, dhgp: usize, n: i32): void {
  const r = ldn(gp, n);
  const z = ldn(gp + H4, n);
  const nn = ldn(gp + H4 * 2, n);
  const hn = ldn(hgp + H4 * 2, n);
  const dh = ldn(dhp, n);
  const dpn = f32x4.mul(f32x4.mul(dh, oneMinus(z)), oneMinus(f32x4.mul(nn, nn)));
  const dz = f32x4.mul(dh, f32x4.sub(ldn(hpp, n), nn));
  const dpr = f32x4.mul(f32x4.mul(dpn, hn), f32x4.mul(r, oneMinus(r)));
  const dpz = f32x4.mul(dz, f32x4.mul(z, oneMinus(z)));
  stn(dxp, dpr, n);
  stn(dxp + H4, dpz, n);
  stn(dxp + H4 * 2, dpn, n);
  stn(dhgp, dpr, n);
  stn(dhgp + H4, dpz, n);
  stn(dhgp + H4 * 2, f32x4.mul(dpn, r), n);
  stn(dhp, f32x4.mul(dh, z), n);
}

/**
 * gates is (bs, 3H) r,z,n; hg is (bs, 3H) with W_hn h + b_hn in its n block; hPrev is (bs, H);
 * dh is (bs, H): dL/dh_t in, the direct part dL/dh_t * z of dL/dh_{t-1} out (the caller adds
 * dgH · W_hh); dgX, dgH are (bs, 3H) out: gradients wrt the input-side and hidden-side
 * pre-activations (they differ in the n block: dgH_n = dgX_n * r).
 */
export function gruStepBack(bs: i32, H: i32, gates: usize, hg: usize, hPrev: usize, dh: usize, dgX: usize, dgH: usize): void {
  const H4 = <usize>H << 2;
  eachUnit(Cell.gruBack, bs, H, gates, H4 * 3, hg, H4 * 3, hPrev, H4, dh, H4, dgX, H4 * 3, dgH, H4 * 3);
}

// ---------------------------------------------------------------- Elman RNN (PyTorch: torch.nn.RNNCell)
// h' = tanh(pre) or relu(pre)

// @ts-ignore: decorator
@inline function relu(x: v128): v128 {
  // x < 0 ? 0 : x, so NaN passes through as in torch.relu
  return v128.andnot(x, f32x4.lt(x, splat(0)));
}

/** pre is (n) pre-activations in, h' out (in place). */
export function rnnStep(n: i32, pre: usize, isRelu: i32): void {
  if (n <= 0) return;
  const end = pre + (<usize>(n & ~3) << 2);
  const rem = n & 3;
  let p = pre;
  if (isRelu) {
    if (p < end) do {
      v128.store(p, relu(v128.load(p)));
      p += 16;
    } while (p < end);
    if (rem) stn(p, relu(ldn(p, rem)), rem);
  } else {
    if (p < end) do {
      v128.store(p, tanhv(v128.load(p)));
      p += 16;
    } while (p < end);
    if (rem) stn(p, tanhv(ldn(p, rem)), rem);
  }
}

/** h, dh, dpre are (n): h' = act(pre) and dL/dh'; dpre = dL/dpre out (may alias dh). */
export function rnnStepBack(n: i32, h: usize, dh: usize, dpre: usize, isRelu: i32): void {
  if (n <= 0) return;
  const nv = n & ~3;
  const rem = n & 3;
  let off: usize = 0;
  const end = <usize>nv << 2;
  if (isRelu) {
    // PyTorch: threshold_backward: grad where h' > 0, else 0
    if (nv > 0) do {
      v128.store(dpre + off, v128.and(v128.load(dh + off), f32x4.gt(v128.load(h + off), splat(0))));
      off += 16;
    } while (off < end);
    if (rem) stn(dpre + end, v128.and(ldn(dh + end, rem), f32x4.gt(ldn(h + end, rem), splat(0))), rem);
  } else {
    if (nv > 0) do {
      const y = v128.load(h + off);
      v128.store(dpre + off, f32x4.mul(v128.load(dh + off), oneMinus(f32x4.mul(y, y))));
      off += 16;
    } while (off < end);
    if (rem) {
      const y = ldn(h + end, rem);
      stn(dpre + end, f32x4.mul(ldn(dh + end, rem), oneMinus(f32x4.mul(y, y))), rem);
    }
  }
}
