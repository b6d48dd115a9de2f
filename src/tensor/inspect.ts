/**
 * Node's `util.inspect.custom` symbol (what `console.log` calls), taken from the global symbol
 * registry so the core imports no Node module; browsers ignore it. Tensor, Parameter, Module,
 * PackedSequence and the optimisers print their PyTorch text through it. (Not in format.ts, whose
 * code the Node bundle loads at the first print: tools/finish-build.mjs.)
 */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');
