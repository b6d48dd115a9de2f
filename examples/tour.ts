/**
 * `npm start`: the short tour of the main job, through the `torchlet` command.
 *
 * 1. `torchlet explain` on the seed tutorial's configuration: every shape in and out of a
 *    2-layer bidirectional LSTM, layer by layer and direction by direction.
 * 2. `torchlet train` on the US daily births data shipped with torchlet: a progress bar per
 *    epoch, the loss curve, a plot file, and the validation error next to "the same day last
 *    week" (the seasonal naive forecast).
 *
 * The same as typing:
 *   npx torchlet explain "nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)" --input 32,100,60
 *   npx torchlet train --out torchlet-run
 */

import { run } from '../src/cli/main.js';

const TUTORIAL = 'nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)';

console.log(`$ torchlet explain "${TUTORIAL}" --input 32,100,60\n`);
let code = await run(['explain', TUTORIAL, '--input', '32,100,60']);
if (code === 0) {
  console.log('\n$ torchlet train --out torchlet-run\n');
  code = await run(['train', '--out', 'torchlet-run']);
}
process.exitCode = code;
