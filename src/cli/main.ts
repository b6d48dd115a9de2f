#!/usr/bin/env node
/**
 * The `torchlet` command: a thin shell over the library (src/explain, src/forecast, src/io,
 * src/onnx). Built on commander (subcommands, `--help` on each, unknown-option errors with a
 * suggestion); exit codes 0 done, 1 failed, 2 usage, 130 stopped by Ctrl-C. Errors are one line on
 * stderr (`torchlet train: data.csv: row 7, column "births": "n/a" is not a number`), with the stack
 * only under --debug.
 *
 *   torchlet explain "nn.LSTM(60, 20, num_layers=2, batch_first=True)" --input 32,100,60
 *   torchlet inspect model.pt
 *   torchlet convert model.pt model.onnx
 *   torchlet train --epochs 8 --out runs/births
 *   torchlet predict runs/births --data recent.csv --steps 7
 *   torchlet serve runs/births --port 8080
 */

import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { CliError, styleFor, UsageError } from './ui.js';
import type { TrainCliOptions } from './train.js';
import type { PredictCliOptions } from './predict.js';
import type { ServeCliOptions } from './serve.js';

// The commands (and the library under them) load when one runs, so `--help` and usage errors
// answer at once.
const explainCommand = async (...a: Parameters<typeof import('./explain.js').explainCommand>) => (await import('./explain.js')).explainCommand(...a);
const inspectCommand = async (...a: Parameters<typeof import('./inspect.js').inspectCommand>) => (await import('./inspect.js')).inspectCommand(...a);
const convertCommand = async (...a: Parameters<typeof import('./convert.js').convertCommand>) => (await import('./convert.js')).convertCommand(...a);
const trainCommand = async (...a: Parameters<typeof import('./train.js').trainCommand>) => (await import('./train.js')).trainCommand(...a);
const serveCommand = async (...a: Parameters<typeof import('./serve.js').serveCommand>) => (await import('./serve.js')).serveCommand(...a);
const predictCommand = async (...a: Parameters<typeof import('./predict.js').predictCommand>) => (await import('./predict.js')).predictCommand(...a);

interface Common {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Build the program; `run` sets the exit code through `setCode`. */
export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('torchlet')
    .description("PyTorch's recurrent layers for TypeScript: explain their shapes, inspect and convert checkpoints, train and run forecasters")
    .version(version(), '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`${oneLine(str)}\n`) });

  const common = (cmd: Command): Command =>
    cmd
      .option('--json', 'machine-readable output on stdout')
      .option('--no-color', 'no colour even on a terminal (colour is only ever used on a terminal)')
      .option('--debug', 'print the stack trace of an error')
      .exitOverride();

  const wrap =
    <A extends unknown[]>(fn: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      setCode(await fn(...args));
    };

  common(
    program
      .command('explain')
      .argument('<model>', 'a constructor string as pasted from Python ("nn.LSTM(60, 20, batch_first=True)") or in torchlet\'s spelling ("new nn.LSTM(60, 20, { batchFirst: true })"), or a model file / train checkpoint')
      .description('every shape going in and out of a recurrent model, layer by layer and direction by direction, with its parameters, FLOPs, memory and the classic slips')
      .option('-i, --input <shape>', 'the input shape, e.g. 32,100,60 ((N, L, Hin) with batch_first, (L, N, Hin) without)')
      .option('--lengths <list>', 'each sequence\'s length (a packed batch), e.g. 100,80,35')
      .option('--no-enforce-sorted', 'the lengths need not be sorted (pack_padded_sequence(..., enforce_sorted=False))')
      .option('--states', 'h0 (and c0) are passed in (default: left out, zeros)')
      .option('--arch <constructor>', 'for a weights file: the architecture, when it cannot be inferred')
      .addHelpText('after', '\nExamples:\n  torchlet explain "nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)" --input 32,100,60\n  torchlet explain "nn.GRU(8, 16)" --input 50,4,8 --lengths 50,42,30,7\n  torchlet explain runs/births'),
  ).action(
    wrap((model: string, o: Common & Record<string, unknown>) => explainCommand(model, o, styleFor(process.stdout, o.color === false))),
  );

  common(
    program
      .command('inspect')
      .argument('<file>', '.pt/.pth (zip or legacy), .safetensors, .onnx, or a train checkpoint (folder or model.json)')
      .description('every tensor (name, dtype, shape), totals, metadata, and the layers recognised from the key names, as PyTorch and torchlet code')
      .addHelpText('after', '\nExample:\n  torchlet inspect model.pt'),
  ).action(wrap((file: string, o: Common) => inspectCommand(file, o, styleFor(process.stdout, o.color === false))));

  common(
    program
      .command('convert')
      .argument('<in>', '.pt/.pth, .safetensors, or a train checkpoint')
      .argument('<out>', '.pt, .safetensors or .onnx (by the extension)')
      .option('--arch <constructor>', 'the architecture (needed for ONNX when the file holds several layers), e.g. "nn.GRU(8, 16, batch_first=True)"')
      .description('convert weights between .pt and .safetensors, or a model to .onnx; the result is reloaded and checked on a random batch before it is kept')
      .addHelpText('after', '\nExamples:\n  torchlet convert lstm.pt lstm.safetensors\n  torchlet convert runs/births births.onnx'),
  ).action(wrap((i: string, o2: string, o: Common & { arch?: string }) => convertCommand(i, o2, o, styleFor(process.stdout, o.color === false))));

  common(
    program
      .command('train')
      .description('train an LSTM/GRU/RNN forecaster on a CSV (default: the US daily births data shipped with torchlet) and compare it with the seasonal naive forecast')
      .option('--data <file.csv>', 'a CSV with a header; numeric columns are features, a date column is recognised and skipped (default: US births 1994-2003)')
      .option('--target <column>', 'the column to forecast (default: births for the built-in data, or the only numeric column)')
      .option('--columns <list>', 'feature columns, comma-separated (default: every numeric column)')
      .option('--window <n>', 'steps of history the model reads', '28')
      .option('--horizon <n>', 'forecast this many steps after the window', '1')
      .option('--season <n>', 'seasonal period in steps; the baseline is the value one season back (default: 7 for daily dates, else 0 = last value)')
      .option('--fold <n>', 'read this many steps as one RNN step (default: the season when it divides the window)')
      .addOption(new Option('--model <type>', 'recurrent layer').choices(['lstm', 'gru', 'rnn', 'LSTM', 'GRU', 'RNN']).default('lstm'))
      .option('--hidden <n>', 'hidden size', '32')
      .option('--layers <n>', 'stacked layers (num_layers)', '1')
      .option('--dropout <p>', 'dropout between stacked layers', '0')
      .option('--bidirectional', 'run both directions')
      .option('--epochs <n>', 'passes over the training windows', '8')
      .option('--lr <x>', "Adam's learning rate (cosine-annealed to a tenth)", '0.006')
      .option('--batch-size <n>', 'windows per step', '64')
      .option('--val <fraction>', 'the last fraction of the windows, by time, held out for validation', '0.2')
      .option('--seed <n>', 'random seed (runs are reproducible)', '7')
      .option('--out <dir>', 'where the checkpoint (model.json, model.safetensors, optimizer.safetensors) and plot go', 'torchlet-run')
      .option('--plot <file.svg>', 'where the loss and forecast plot goes (default: OUT/training.svg)')
      .option('--resume', 'continue from the checkpoint in --out (up to --epochs in total)')
      .addHelpText('after', '\nExamples:\n  torchlet train                       # US births, 8 epochs, into ./torchlet-run\n  torchlet train --data sales.csv --target units --window 56 --season 7 --epochs 20 --out runs/sales'),
  ).action(wrap((o: Common & TrainCliOptions) => trainCommand(o, styleFor(process.stdout, o.color === false))));

  common(
    program
      .command('predict')
      .argument('<checkpoint>', 'the folder train --out wrote (or its model.json / model.safetensors)')
      .option('--data <file.csv>', 'the history to forecast from, with the columns the model was trained on')
      .option('--steps <k>', 'how many steps after the end of the data', '1')
      .option('--out <file>', 'write the forecasts here (CSV, or JSON with --json) instead of stdout')
      .option('--plot <file.svg>', 'draw the recent history and the forecasts')
      .description('forecast the next steps after the end of a CSV with a trained model')
      .addHelpText('after', '\nExample:\n  torchlet predict torchlet-run --data recent.csv --steps 7 --plot forecast.svg'),
  ).action(wrap((ckpt: string, o: Common & PredictCliOptions) => predictCommand(ckpt, o, styleFor(process.stdout, o.color === false))));

  common(
    program
      .command('serve')
      .argument('<checkpoint>', 'the folder train --out wrote (or its model.json), or a .pt/.safetensors file of one recurrent layer (or any, with --arch)')
      .option('--port <n>', 'TCP port (0: any free one)', '8080')
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--max-batch <n>', 'most sequences packed into one batch', '64')
      .option('--max-wait-ms <ms>', 'longest a free worker waits for more requests to fill its batch (0: a batch is what queued while the workers were busy)', '0')
      .option('--max-length <n>', 'longest sequence accepted, in steps', '4096')
      .option('--max-body <bytes>', 'largest request body', String(8 * 1024 * 1024))
      .option('--max-queue <n>', 'most sequences waiting; past it requests get 503 with Retry-After', '1024')
      .option('--workers <n>', 'worker threads holding the model (default: one per core, at most 4; 0: the main thread)')
      .option('--arch <constructor>', 'the architecture, when it cannot be inferred from the weights, e.g. "nn.LSTM(8, 16, num_layers=2)"')
      .description('an HTTP inference server: concurrent requests of different lengths are packed into one batch (no padding) and run on worker threads')
      .addHelpText('after', '\nExamples:\n  torchlet serve torchlet-run --port 8080\n  curl -s localhost:8080/v1/predict -H "Content-Type: application/json" -d \'{"inputs": [[0.1, 0.2], [0.3, 0.4]]}\''),
  ).action(wrap((ckpt: string, o: Common & ServeCliOptions) => serveCommand(ckpt, o, styleFor(process.stdout, o.color === false))));

  return program;
}

/** One line for an error: no stack, newlines folded. */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/** Run the CLI on `argv` (without node and script); resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  const debug = argv.includes('--debug');
  const sub = argv.find((a) => !a.startsWith('-')) ?? '';
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      // commander has printed its own one-line message already.
      return e.code === 'commander.executeSubCommandAsync' ? 1 : 2;
    }
    const where = ['explain', 'inspect', 'convert', 'train', 'predict', 'serve'].includes(sub) ? `torchlet ${sub}` : 'torchlet';
    process.stderr.write(`${where}: ${oneLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    if (e instanceof CliError) return e.exitCode;
    if (e instanceof UsageError) return 2;
    const { TorchletError } = await import('../errors.js');
    if (!(e instanceof TorchletError) && !debug) process.stderr.write('(an unexpected error: run again with --debug for the stack trace, and please report it)\n');
    return 1;
  }
}

/** True when this file is the program being run (directly, or through npm's bin symlink). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  // `torchlet inspect big.pt | head`: a closed pipe ends the output quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const code = await run(process.argv.slice(2));
  process.exitCode = code;
}
