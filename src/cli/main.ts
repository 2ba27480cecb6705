import { Command, CommanderError, Option } from 'commander';
import { CODE_VERSION } from '../version.js';
import { describeFailure } from './cli-errors.js';
import { CLEAR_LINE, progressEnabled } from './progress-display.js';
import { CliError, CliOutput, EXIT, parsePositiveInt, parseRate, parseScore, processIo, type CliIo } from './cli-output.js';
import { demoCommand } from './commands/demo-command.js';
import { evaluateCommand } from './commands/evaluate-command.js';
import { exploreCommand } from './commands/explore-command.js';
import { DEFAULT_DAY, generateCommand } from './commands/generate-command.js';
import { modelsListCommand, modelsPromoteCommand, modelsRollbackCommand, modelsShowCommand } from './commands/models-command.js';
import { runCommand } from './commands/run-command.js';
import { trainCommand } from './commands/train-command.js';
import { tuneCommand } from './commands/tune-command.js';

/** The exit codes, as every command's --help states them (and docs/troubleshooting.md). */
export const EXIT_CODES_HELP =
  '\nExit codes: 0 success; 1 the run failed (the error, or the failure alert, says why); 2 usage error (bad option,\n' +
  'missing file, bad schema, label or feedback file); 3 the input file was rejected (unreadable, empty, columns missing).\n' +
  'Progress is drawn on stderr when it is a terminal and CI is not set; --json prints one JSON document on stdout.';

/** The `trade-anomaly` command line (the contract in DESIGN.md). */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('trade-anomaly')
    .description('Find anomalous trades in a daily trade file: locally on an embedded S3, or in AWS')
    .version(CODE_VERSION, '-V, --version', 'print the version of trade-anomaly')
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) })
    .showHelpAfterError()
    .exitOverride();
  const json = () => new Option('--json', 'print one JSON document on stdout instead of the human summary');
  const output = (opts: { json?: boolean }) => new CliOutput(Boolean(opts.json), io);

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
    .option('--symbols <n>', 'instruments in the book, 1-10000 (default: rows/300, between 20 and 500)', parsePositiveInt('--symbols'))
    .addOption(new Option('--price-levels <spread>', "how price levels spread across symbols: default ~1-3,000, penny ~0.01-2, wide ~0.01-100,000").choices(['default', 'penny', 'wide']))
    .option('--price-scale <x>', "multiply every symbol's price level by x (0.001-10000; ticks and lots follow)", (v: string) => {
      if (!Number.isFinite(Number(v)) || v.trim() === '') throw new CliError(`--price-scale must be a number, got '${v}'`, EXIT.USAGE);
      return Number(v);
    })
    .option('--volume-scale <x>', "multiply every symbol's typical trade value, so its sizes, by x (0.001-1000)", (v: string) => {
      if (!Number.isFinite(Number(v)) || v.trim() === '') throw new CliError(`--volume-scale must be a number, got '${v}'`, EXIT.USAGE);
      return Number(v);
    })
    .addOption(new Option('--activity <profile>', 'how trades spread over the session: u-shape (busy open and close), flat, afternoon (quiet first half)').choices(['u-shape', 'flat', 'afternoon']))
    .option('--session <HH:MM-HH:MM>', 'session hours in UTC (default 08:00-16:30); off-hours anomalies fall 90 min before the open or 150 min after the close')
    .addOption(json())
    .addHelpText(
      'after',
      '\nThe market-shape options (--symbols, --price-levels, --price-scale, --volume-scale, --activity, --session) apply to the\nhistory days too; left out, the files are byte for byte what earlier versions wrote for the same seed.\n' +
        '\nExample:\n  trade-anomaly generate --rows 150000 --seed 7 --out data/day.csv --labels data/day.labels.csv --history 3\n' +
        '\nExample of another market (penny prices, small sizes, a US session with no opening rush):\n' +
        '  trade-anomaly generate --rows 30000 --out data/penny.csv --labels data/penny.labels.csv --history 2 \\\n' +
        '    --price-levels penny --volume-scale 0.1 --session 14:30-21:00 --activity flat',
    )
    .action(async (opts) => {
      await generateCommand(opts, output(opts));
    });

  program
    .command('train')
    .description('fit the isolation forest on one or more trade files and save the model')
    .argument('<files...>', 'trade files (CSV, optionally gzip)')
    .requiredOption('--out <dir|s3://bucket/models>', 'a model folder, or the pipeline bucket (a new version, not promoted)')
    .option('--promote', 'with --out s3://bucket/models: also make the new version the current model')
    .option('--schema <file>', 'how to read the file: column mapping, formats, session (JSON or YAML; see schemas/)')
    .option('--trees <n>', 'number of trees', parsePositiveInt('--trees'))
    .option('--sample-size <n>', 'rows sampled per tree', parsePositiveInt('--sample-size'))
    .option('--seed <s>', 'seed of the forest', parsePositiveInt('--seed'))
    .option('--algorithm <kind>', 'the learned part: isolation-forest (default), ocsvm, autoencoder, pca or ensemble (see docs/model.md)')
    .option('--contamination <r>', 'expected share of anomalies: sets the threshold', parseRate('--contamination'))
    .option('--features <names>', 'comma-separated trade features the model reads (default: price_deviation, price_jump, quantity_deviation, notional_deviation, time_rarity; see docs/model.md)')
    .option('--feedback <files...>', "analysts' feedback files: trades they confirmed as anomalies are left out of training")
    .addOption(json())
    .addHelpText(
      'after',
      '\nExample:\n  trade-anomaly train data/day.history-*.csv --out models/current' +
        '\n  trade-anomaly train data/day.history-*.csv --feedback feedback/*.csv --out models/current',
    )
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
    .option('--drift-threshold <psi>', "warn of a feature's drift from the training data at this PSI or above (0-10, default 0.25)", (v: string) => {
      const n = Number(v);
      if (v.trim() === '' || !(n > 0 && n <= 10)) throw new CliError(`--drift-threshold must be a PSI greater than 0 and at most 10, got '${v}'`, EXIT.USAGE);
      return n;
    })
    .option('--feedback <files...>', "analysts' feedback files (CSV: trade_id/source_row, verdict): put under feedback/ in the embedded bucket before the run, where they stay for later runs")
    .addOption(json())
    .addHelpText(
      'after',
      '\nExample:\n  trade-anomaly run data/day.csv --model models/current --out out/today' +
        '\n  trade-anomaly run data/day.csv --feedback feedback/2026-12-01.csv --out out/today   (options after the file: --feedback takes every name that follows)',
    )
    .action(async (file: string, opts) => {
      await runCommand({ file, ...opts }, output(opts));
    });

  program
    .command('evaluate')
    .description('measure detection quality on a labelled file: one model, or k-fold cross-validation comparing detectors')
    .argument('<file>', 'a trade file, or a numeric CSV (features + label column) such as a benchmark')
    .option('--labels <file>', 'labels: source_row,anomaly_type (rows not listed are normal)')
    .option('--label-column <name>', 'a column of the file holding the label (0/1, true/false, or the anomaly type)')
    .option('--schema <file>', 'how to read the file (JSON or YAML; see schemas/)')
    .option('--model <dir>', 'model folder (default: fit one on the file)')
    .option('--folds <k>', 'k-fold cross-validation comparing detectors on the same folds', parsePositiveInt('--folds'))
    .option('--detectors <names>', 'with --folds: comma-separated, of isolation-forest, ml-isolation-forest, robust-z, model, model+rules (the default set), and by name the other kinds: ocsvm, autoencoder, pca, ensemble (learned part alone), model:<kind>, model:<kind>+rules')
    .option('--numeric', 'read the file as a numeric CSV (detected when the header is not a trade file)')
    .option('--seed <s>', 'seed of the folds and the forests', parsePositiveInt('--seed'))
    .option('--out <file>', 'write the metrics as JSON here')
    .addOption(json())
    .addHelpText(
      'after',
      '\nExamples:\n  trade-anomaly evaluate data/day.csv --labels data/day.labels.csv --model models/current\n  trade-anomaly evaluate data/day.csv --labels data/day.labels.csv --folds 5\n  trade-anomaly evaluate ../shared/data/benchmarks/adbench_shuttle.csv --label-column label --folds 5',
    )
    .action(async (file: string, opts) => {
      await evaluateCommand({ file, ...opts }, output(opts));
    });

  program
    .command('tune')
    .description('choose features, forest size and threshold by cross-validated PR-AUC on a labelled file; save the tuned model')
    .argument('<file>', 'a labelled trade file')
    .requiredOption('--out <dir>', 'the model folder to write (model.json with its tuning record)')
    .option('--labels <file>', 'labels: source_row,anomaly_type')
    .option('--label-column <name>', 'a column of the file holding the label')
    .option('--train <files...>', 'train the final model on these files (default: the labelled file)')
    .option('--schema <file>', 'how to read the files (JSON or YAML; see schemas/)')
    .option('--folds <k>', 'folds of the cross-validation', parsePositiveInt('--folds'), 3)
    .option('--seed <s>', 'seed of the folds and the forests', parsePositiveInt('--seed'), 1)
    .option('--report <file>', 'write every trial as JSON here')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly tune data/day.csv --labels data/day.labels.csv --train data/day.history-*.csv --out models/tuned')
    .action(async (file: string, opts) => {
      await tuneCommand({ file, ...opts }, output(opts));
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

  // The model registry: `models list|show|promote|rollback`, on the embedded bucket or a stage's.
  const models = program
    .command('models')
    .description('list, inspect, promote and roll back the model versions of a bucket (new runs use the current one)')
    .addHelpText(
      'after',
      '\nExample:\n  trade-anomaly models list --bucket my-stage-bucket\n  trade-anomaly models promote 20261201T063000Z-1a2b3c4d5e --bucket my-stage-bucket --reason "retrained on November"',
    );
  const modelStore = (cmd: Command) =>
    cmd
      .option('--state-dir <dir>', "the embedded S3's folder of local runs (default .trade-anomaly)")
      .option('--bucket <name>', "a stage's bucket (the stack output BucketName; S3_ENDPOINT selects another S3 server)")
      .addOption(json());
  modelStore(models.command('list').description('the stored versions, newest first, the current one marked'))
    .addHelpText('after', '\nExample:\n  trade-anomaly models list --bucket my-stage-bucket --json')
    .action(async (opts) => {
      await modelsListCommand(opts, output(opts));
    });
  modelStore(models.command('show').description("one version's metadata and promotions").argument('<version>', 'the model version'))
    .addHelpText('after', '\nExample:\n  trade-anomaly models show 20261201T063000Z-1a2b3c4d5e --bucket my-stage-bucket')
    .action(async (version: string, opts) => {
      await modelsShowCommand(version, opts, output(opts));
    });
  modelStore(models.command('promote').description('make a version the current model: new runs use it').argument('<version>', 'the model version'))
    .option('--by <name>', 'who promotes, for the history (default: your login name)')
    .option('--reason <text>', 'why, for the history')
    .addHelpText('after', '\nExample:\n  trade-anomaly models promote 20261201T063000Z-1a2b3c4d5e --bucket my-stage-bucket --reason "retrained on November"')
    .action(async (version: string, opts) => {
      await modelsPromoteCommand(version, opts, output(opts));
    });
  modelStore(models.command('rollback').description('make the version promoted before the current one current again'))
    .option('--by <name>', 'who rolls back, for the history (default: your login name)')
    .option('--reason <text>', 'why, for the history')
    .addHelpText('after', '\nExample:\n  trade-anomaly models rollback --bucket my-stage-bucket --reason "too many false alarms"')
    .action(async (opts) => {
      await modelsRollbackCommand(opts, output(opts));
    });

  program
    .command('demo')
    .description('generate history and a day, train, run the pipeline, and measure detection against the labels')
    .option('--rows <n>', 'rows per day', parsePositiveInt('--rows'), 150_000)
    .option('--history <days>', 'history days to train on', parsePositiveInt('--history'), 3)
    .option('--seed <s>', 'seed', parsePositiveInt('--seed'), 7)
    .option('--dir <dir>', 'working folder', 'out/demo')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  trade-anomaly demo --rows 20000 --history 2 --dir out/small-demo\n  trade-anomaly demo --json > demo.json   (the run summary and the detection metrics)')
    .action(async (opts) => {
      await demoCommand(opts, output(opts));
    });

  // Every command and subcommand states the exit codes under its examples.
  const withExitCodes = (cmd: Command): void => {
    cmd.addHelpText('after', EXIT_CODES_HELP);
    cmd.commands.forEach(withExitCodes);
  };
  program.commands.forEach(withExitCodes);
  program.addHelpText('after', `\nExample:\n  trade-anomaly run trades.csv --out out/today\n  trade-anomaly COMMAND --help   (each command's options and examples)\n${EXIT_CODES_HELP}`);
  return program;
}

/**
 * Runs the CLI; returns the exit code. An error is printed on one line naming the file, and the row
 * and field where there is one, with a hint (describeFailure); TRADE_ANOMALY_DEBUG=1 adds the stack.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e: unknown) {
    // Commander has printed its own message (and the help) already.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const failure = describeFailure(e);
    // A progress line may still be on the terminal: the error replaces it rather than being appended to it.
    io.stderr.write(`${progressEnabled(io.stderr, io.env) ? CLEAR_LINE : ''}${failure.line}\n`);
    if (io.env.TRADE_ANOMALY_DEBUG && !(e instanceof CliError)) io.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return failure.exitCode;
  }
}
