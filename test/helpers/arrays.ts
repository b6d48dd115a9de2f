/** Typed-array helpers shared by the byte-level and determinism tests. */

/** The arrays one after another, in one new array of type `type` (`concat(Uint8Array, [a, b])`). */
export function concat<A extends Uint8Array | Float32Array>(type: new (length: number) => A, parts: readonly ArrayLike<number>[]): A {
  const out = new type(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
