// SIMD building blocks shared by the GEMM and the fused cells: fused multiply-add, exp,
// sigmoid, tanh, and partial (tail) loads/stores for rows whose length is not a multiple of 4.
//
// V8 note: every caller writes its hot loop as `if (n > 0) do { ... } while (...)`. With
// plain `for`/`while` loops V8 rebuilds every SIMD constant (the splats below) on each
// iteration, which costs 1.5-2x on the activations.

/** a*b + c on 4 lanes: one `relaxed_madd` (a hardware FMA on x86) in the relaxed build. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * exp(x) on 4 lanes (Cephes expf: range reduction by ln 2, degree-6 polynomial, 2^n built in
 * the exponent bits). Exact limits: x > 88.376 gives +Inf, x < -87.337 gives 0, NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  // Magic-number rounding (1.5 * 2^23): n = round(x / ln2) lands in t's low mantissa bits,
  // avoiding i32x4.trunc_sat, which V8 expands to a long sequence.
  const t = madd(x, splat(1.44269504088896341), splat(12582912.0));
  const n = f32x4.sub(t, splat(12582912.0));
  let r = madd(n, splat(-0.693359375), x);
  r = madd(n, splat(2.12194440e-4), r);
  let p = splat(1.9875691500e-4);
  p = madd(p, r, splat(1.3981999507e-3));
  p = madd(p, r, splat(8.3334519073e-3));
  p = madd(p, r, splat(4.1665795894e-2));
  p = madd(p, r, splat(1.6666665459e-1));
  p = madd(p, r, splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, splat(1.0)));
  const pow2n = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4b400000)), 23);
  let e = f32x4.mul(p, pow2n);
  // Out of range (including +-Inf): the exact limits, so sigmoid/tanh saturate exactly.
  e = v128.bitselect(splat(Infinity), e, f32x4.gt(x, splat(88.3762626647949)));
  return v128.andnot(e, f32x4.lt(x, splat(-87.33654475)));
}

/** sigmoid(x) = 1 / (1 + exp(-x)), PyTorch: torch.sigmoid. sigmoid(-Inf) = 0, sigmoid(Inf) = 1. */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  return f32x4.div(splat(1.0), f32x4.add(splat(1.0), expv(f32x4.neg(x))));
}

/**
 * tanh(x), PyTorch: torch.tanh. |x| < 0.625: Cephes' odd polynomial (keeps relative accuracy
 * near 0); else 1 - 2 / (exp(2|x|) + 1), which saturates to exactly 1. Sign restored last.
 */
// @ts-ignore: decorator
@inline export function tanhv(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = expv(f32x4.add(a, a));
  const big = f32x4.sub(splat(1.0), f32x4.div(splat(2.0), f32x4.add(e, splat(1.0))));
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = madd(p, z, splat(2.06390887954e-2));
  p = madd(p, z, splat(-5.37397155531e-2));
  p = madd(p, z, splat(1.33314422036e-1));
  p = madd(p, z, splat(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), a, a);
  const r = v128.bitselect(small, big, f32x4.lt(a, splat(0.625)));
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}

/** Load n (1..4) floats; lanes past n are 0. n is a constant 4 in the hot loops, so this folds. */
// @ts-ignore: decorator
@inline export function ldn(p: usize, n: i32): v128 {
  if (n == 4) return v128.load(p);
  return loadTail(p, n);
}

/** Store the first n (1..4) lanes. */
// @ts-ignore: decorator
@inline export function stn(p: usize, v: v128, n: i32): void {
  if (n == 4) v128.store(p, v);
  else storeTail(p, v, n);
}

export function loadTail(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (n > 3) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

export function storeTail(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  if (n > 3) store<f32>(p, f32x4.extract_lane(v, 3), 12);
}
