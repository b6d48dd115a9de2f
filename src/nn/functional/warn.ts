/**
 * PyTorch's `warnings.warn(..., UserWarning)`: printed to the console, never thrown. Tests spy on
 * `console.warn` to check the text.
 */
export function warn(message: string): void {
  console.warn(`UserWarning: ${message}`);
}
