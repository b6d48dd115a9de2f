/** Python's spelling of values in module reprs (PyTorch's `extra_repr`). */

/** A number as Python prints a float: `0.5`, `1.0`, `1e-05`. */
export function pyFloat(v: number): string {
  if (Number.isInteger(v)) return `${v}.0`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    // Python: 1e-05, 2.5e-07 (exponent at least two digits)
    return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}
