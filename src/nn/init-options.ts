/**
 * The run-time checks of `torch.nn.init`'s options (src/options.ts), apart from the initialisers
 * (src/nn/init.ts): the Node bundle loads those at their first call (tools/finish-build.mjs), while
 * these, which `torch.nn.init` also shows, stay loaded. The option types are declared in init.ts.
 */

import { defineOptions, opt } from '../options.js';
import { Generator } from '../tensor/random.js';
import type { InitOptions, KaimingOptions } from './init.js';

const generatorRule = opt.nullable(opt.instance(() => Generator, 'torch.Generator'));
/** @internal The run-time check of `InitOptions` (src/options.ts); messages name the initialiser. */
export const INIT_OPTIONS = defineOptions<InitOptions>('nn.init', { generator: generatorRule });
/** @internal The run-time check of `KaimingOptions` (values: PyTorch's ValueErrors in `kaimingStd`). */
export const KAIMING_OPTIONS = INIT_OPTIONS.extend<KaimingOptions>('nn.init.kaiming', {
  a: opt.number,
  mode: opt.named("'fan_in' | 'fan_out'", (v) => typeof v === 'string'),
  nonlinearity: opt.named('a nonlinearity name', (v) => typeof v === 'string'),
});
