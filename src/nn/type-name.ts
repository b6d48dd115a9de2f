/**
 * A module's type name that survives minification. Every library Module class sets a static
 * `typeName` string (its PyTorch class name); minifiers rename classes (an LSTMCell once showed up as
 * `qs(6, 20)` in a minified build), so `constructor.name` is only the fallback, for users' own
 * classes. No PyTorch twin (PyTorch: `type(module).__name__`).
 */
export function moduleTypeName(m: object): string {
  const ctor = (m as { constructor?: { name?: string; typeName?: unknown } }).constructor;
  if (ctor === undefined) return 'Object';
  if (Object.hasOwn(ctor, 'typeName') && typeof ctor.typeName === 'string') return ctor.typeName;
  return ctor.name ?? 'Module';
}
