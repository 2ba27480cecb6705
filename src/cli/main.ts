import { Command, CommanderError, Option } from 'commander';
import { CliError, CliOutput, EXIT, parsePositiveInt, parseRate, parseScore } from './cli-output.js';
import { demoCommand } from './commands/demo-command.js';
import { evaluateCommand } from './commands/evaluate-command.js';
import { exploreCommand } from './commands/explore-command.js';
import { DEFAULT_DAY, generateCommand } from './commands/generate-command.js';
import { runCommand } from './commands/run-command.js';
import { trainCommand } from './commands/train-command.js';

/** The `trade-anomaly` command line (the contract in DESIGN.md). */
export function buildProgram(): Command {
  const program = new Command('trade-anomaly')
    .description('Find anomalous trades in a daily trade file: locally on an embedded S3, or in AWS')
    .showHelpAfterError()
    .exitOverride();
  const json = () => new Option('--json', 'print machine-readable JSON instead of the human summary');
  const output = (opts: { json?: boolean }) => new CliOutput(Boolean(opts.json));

  program
    .command('generate')
    .description('write a synthetic trading day with injected anomalies (labels in a separate file)')
    .requiredOption('--out <file>', 'the CSV file to write')
    .option('--rows <n>', 'data rows per day', parsePositiveInt('--rows'), 150_000)
    .option('--seed <s>', 'seed: the same seed gives the same files', parsePositiveInt('--seed'), 1)
    .option('--labels <file>', 'write the injected anomalies (source_row,trade_id,anomaly_type) here')
    .option('--day <YYYY-MM-DD>', 'the trading day', DEFAULT_DAY)
    .option('--anomaly-rate <r>', 'share of rows that are anomalies', parseRate('--anomaly-rate'))
    .option('--history <days>', 'also write this many earlier trading days beside --out, for training', parsePositiveInt('--history'))
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly generate --rows 150000 --seed 7 --out data/day.csv --labels data/day.labels.csv --history 3')
    .action(async (opts) => {
      await generateCommand(opts, output(opts));
    });

  program
    .command('train')
    .description('fit the isolation forest on one or more trade files and save the model')
    .argument('<files...>', 'trade files (CSV, optionally gzip)')
    .requiredOption('--out <dir|s3://bucket/models>', 'a model folder, or the pipeline bucket (promotes the model)')
    .option('--schema <file>', 'how to read the file: column mapping, formats, session (JSON or YAML; see schemas/)')
    .option('--trees <n>', 'number of trees', parsePositiveInt('--trees'))
    .option('--sample-size <n>', 'rows sampled per tree', parsePositiveInt('--sample-size'))
    .option('--seed <s>', 'seed of the forest', parsePositiveInt('--seed'))
    .option('--contamination <r>', 'expected share of anomalies: sets the threshold', parseRate('--contamination'))
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly train data/day.history-*.csv --out models/current')
    .action(async (files: string[], opts) => {
      await trainCommand({ files, ...opts }, output(opts));
    });

  program
    .command('run')
    .description('run the whole pipeline on one file on this machine (embedded S3, no AWS account)')
    .argument('<file>', 'the trade file')
    .option('--out <dir>', 'output folder (default ./out/<runId>/)')
    .option('--model <dir>', 'model folder (default: the current model in the embedded bucket, or one fitted on the file)')
    .option('--schema <file>', 'how to read the file: column mapping, formats, session (JSON or YAML; see schemas/)')
    .option('--chunk-rows <n>', 'rows per chunk', parsePositiveInt('--chunk-rows'))
    .option('--threshold <score>', "flag model scores at or above this (0-1), instead of the model's own threshold", parseScore('--threshold'))
    .option('--state-dir <dir>', "the embedded S3's folder (keeps the current model between runs)", '.trade-anomaly')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly run data/day.csv --model models/current --out out/today')
    .action(async (file: string, opts) => {
      await runCommand({ file, ...opts }, output(opts));
    });

  program
    .command('evaluate')
    .description('score a labelled file and report detection quality')
    .argument('<file>', 'the trade file')
    .option('--labels <file>', 'labels: source_row,anomaly_type')
    .option('--label-column <name>', 'a label column in the file (not supported yet)')
    .option('--schema <file>', 'how to read the file (JSON or YAML; see schemas/)')
    .option('--model <dir>', 'model folder (default: fit one on the file)')
    .option('--out <file>', 'write the metrics as JSON here')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly evaluate data/day.csv --labels data/day.labels.csv --model models/current')
    .action(async (file: string, opts) => {
      await evaluateCommand({ file, ...opts }, output(opts));
    });

  program
    .command('explore')
    .description("a first look at a file: columns, ranges, symbols, data-quality findings")
    .argument('<file>', 'the trade file')
    .requiredOption('--out <dir>', 'folder for summary.json')
    .option('--schema <file>', 'how to read the file: column mapping, formats, session (JSON or YAML; see schemas/)')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly explore data/day.csv --out out/explore')
    .action(async (file: string, opts) => {
      await exploreCommand({ file, ...opts }, output(opts));
    });

  program
    .command('demo')
    .description('generate history and a day, train, run the pipeline, and measure detection against the labels')
    .option('--rows <n>', 'rows per day', parsePositiveInt('--rows'), 150_000)
    .option('--history <days>', 'history days to train on', parsePositiveInt('--history'), 3)
    .option('--seed <s>', 'seed', parsePositiveInt('--seed'), 7)
    .option('--dir <dir>', 'working folder', 'out/demo')
    .addOption(json())
    .action(async (opts) => {
      await demoCommand(opts, output(opts));
    });

  return program;
}

function location(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}

/** Runs the CLI; returns the exit code. Errors are printed on one line, with a hint where there is one. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e: unknown) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (e instanceof CliError) {
      process.stderr.write(`trade-anomaly: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}\n`);
      return e.exitCode;
    }
    process.stderr.write(`trade-anomaly: ${location(e).split('\n')[0]}\n`);
    if (process.env.TRADE_ANOMALY_DEBUG) console.error(e);
    return EXIT.FAILED;
  }
}
