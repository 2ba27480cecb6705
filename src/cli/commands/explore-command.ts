import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { optionalFieldsOf, type RawChunkRow } from '../../chunks/chunk-format.js';
import { ExploreAccumulator, type ExploreLayout, type ExploreSummary } from '../../explore/explore-summary.js';
import { formatNumber } from '../../explore/format.js';
import { renderExploreReport } from '../../explore/report-html.js';
import { EmptyFileError, TradeFileScanner, UnreadableFileError } from '../../pipeline/trade-file-scanner.js';
import { applyFileRules, fileRuleContext, type FileRuleContext } from '../../quality/file-rules.js';
import { checkTrade, type CheckedTrade } from '../../quality/trade-checks.js';
import type { QualityIssue } from '../../quality/quality-issues.js';
import type { DuplicateMarks } from '../../pipeline/duplicate-partitions.js';
import { policyOf } from '../../schema/schema-settings.js';
import { SchemaMismatchError } from '../../schema/trade-schema.js';
import { CliError, EXIT, type CliOutput } from '../cli-output.js';
import { fileWithProgress } from '../file-progress.js';
import { ensureReadable, loadSchemaOption } from './train-command.js';

export interface ExploreArgs {
  file: string;
  out: string;
  schema?: string;
}

/** What `explore --json` prints: where the files went, the file facts and the quality findings. */
export interface ExploreResult {
  summaryPath: string;
  reportPath: string;
  durationMs: number;
  facts: ExploreSummary['facts'];
  quality: ExploreSummary['quality'];
}

const ONE_PASS_NOTE =
  "the OUTSIDE_TRADING_DAY rule is not applied: the file's trading day is the date most of its trades fall on, known only after the whole file (the pipeline applies it); the dates the rows fall on are listed instead";

function rows(n: number): string {
  return `${formatNumber(n)} row${n === 1 ? '' : 's'}`;
}

/** The layout the scanner found, once it has read the header. */
type ScannerLayout = NonNullable<TradeFileScanner['layout']>;

/**
 * The one place explore applies the data-quality rules: the row rules as the pipeline reads the
 * row (schema-aware), then the file rules that one pass can apply. The trading-day rule is left
 * out: the file's trading day is the date most of its trades fall on, known only at the end.
 */
/** Repeated trade ids and rows as findings (known once the whole file has been read). */
function duplicateFindings(marks: DuplicateMarks): { sourceRow: number; issue: QualityIssue }[] {
  const findings: { sourceRow: number; issue: QualityIssue }[] = [];
  for (let i = 0; i < marks.size; i++) {
    const sourceRow = marks.rows[i];
    if (marks.sameKeyAs[i]) findings.push({ sourceRow, issue: { code: 'DUPLICATE_TRADE_ID', field: 'trade_id', message: `the trade_id repeats row ${marks.sameKeyAs[i]}` } });
    if (marks.sameRowAs[i]) findings.push({ sourceRow, issue: { code: 'DUPLICATE_ROW', message: `the row repeats row ${marks.sameRowAs[i]} exactly` } });
  }
  return findings;
}

function checkRow(row: RawChunkRow, scanner: TradeFileScanner, rules: FileRuleContext): CheckedTrade {
  const t = checkTrade(row, optionalFieldsOf(scanner.layout!.present), scanner.readers, scanner.hasTradeIds);
  applyFileRules(t, rules);
  // As the pipeline does: a rule the schema switches off is not a finding.
  t.issues = t.issues.filter((issue) => policyOf(scanner.schema, issue.code).action !== 'ignore');
  return t;
}

/**
 * The full raw record of a row (every column, in header order): the scanner keeps it when asked
 * (keepRecords). Without it the record is rebuilt from the canonical fields, the other columns
 * unknown, which is why the accumulator is told which columns it may profile.
 */
function recordOf(row: RawChunkRow, layout: ScannerLayout): readonly (string | undefined)[] {
  if (row.record) return row.record;
  const rebuilt: (string | undefined)[] = new Array(layout.header.length);
  for (const f of layout.present) rebuilt[layout.index[f]!] = row.fields[f];
  return rebuilt;
}

function carriesFullRecords(row: RawChunkRow): boolean {
  return Array.isArray(row.record);
}

function startAccumulator(file: string, layout: ScannerLayout, firstRow: RawChunkRow | undefined): ExploreAccumulator {
  const explore: ExploreLayout = { header: layout.header, index: layout.index, present: layout.present };
  const full = firstRow === undefined || carriesFullRecords(firstRow);
  return new ExploreAccumulator(explore, {
    source: file,
    profiledColumns: full ? undefined : layout.present.map((f) => layout.index[f]!).sort((a, b) => a - b),
    notProfiledReason: full ? undefined : 'this version of the file scanner passes on the canonical columns only',
    notes: [ONE_PASS_NOTE],
  });
}

/**
 * `trade-anomaly explore FILE --out DIR`: one streaming pass over a trade file that answers "what is
 * in it, and what is wrong with it?" in DIR/summary.json and a self-contained DIR/report.html.
 */
export async function exploreCommand(args: ExploreArgs, out: CliOutput): Promise<ExploreResult> {
  await ensureReadable(args.file);
  const schema = await loadSchemaOption(args.schema);
  const started = Date.now();
  const scanner = new TradeFileScanner(args.file, { schema, keepRecords: true });
  const rules = fileRuleContext(scanner.schema, null);
  let acc: ExploreAccumulator | undefined;
  const { source, task } = await fileWithProgress(args.file, out, `exploring ${path.basename(args.file)}`, () => scanner.rows);
  try {
    for await (const batch of scanner.scan(source)) {
      const layout = scanner.layout!;
      acc ??= startAccumulator(args.file, layout, batch[0]);
      for (const row of batch) acc.add(recordOf(row, layout), checkRow(row, scanner, rules));
    }
  } catch (e: unknown) {
    task.finish();
    if (e instanceof SchemaMismatchError || e instanceof EmptyFileError || e instanceof UnreadableFileError) {
      throw new CliError(e.message, EXIT.REJECTED, e instanceof SchemaMismatchError ? 'map the columns with --schema FILE (see schemas/)' : undefined);
    }
    throw e;
  }
  task.finish();
  // A file with a header and no data rows still has facts worth reporting.
  acc ??= startAccumulator(args.file, scanner.layout!, undefined);
  acc.addLateFindings(duplicateFindings(scanner.duplicateMarks()));
  const summary = acc.finish();

  await mkdir(args.out, { recursive: true });
  const summaryPath = path.join(args.out, 'summary.json');
  const reportPath = path.join(args.out, 'report.html');
  await writeFile(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(reportPath, renderExploreReport(summary));
  const durationMs = Date.now() - started;

  const f = summary.facts;
  const q = summary.quality;
  out.say(`${args.file}: ${rows(f.rows)}, ${f.columns} columns, ${f.distinctSymbolsExact ? '' : '>= '}${formatNumber(f.distinctSymbols)} symbols`);
  out.say(`time range: ${f.timeRange ? `${f.timeRange.first} to ${f.timeRange.last}` : 'no parsable timestamp'}`);
  out.say(
    `data-quality findings: ${q.findings.length ? `${rows(q.rowsWithFindings)} (${q.findings.map((x) => `${x.code} ${formatNumber(x.count)}`).join(', ')})` : 'none'}`,
  );
  out.say(`wrote ${summaryPath} and ${reportPath} in ${(durationMs / 1000).toFixed(1)} s`);
  const result: ExploreResult = { summaryPath, reportPath, durationMs, facts: f, quality: q };
  out.result(result);
  return result;
}
