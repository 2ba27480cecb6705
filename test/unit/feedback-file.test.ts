import { describe, expect, it } from 'vitest';
import {
  FeedbackFileError,
  FeedbackIndex,
  mergeFeedback,
  parseFeedback,
  type FeedbackEntry,
} from '../../src/feedback/feedback-file.js';

const FILE = 'feedback-2024-05.csv';

/** The error a parse rejects with (fails the test when it resolves). */
async function parseError(text: string): Promise<FeedbackFileError> {
  try {
    await parseFeedback(text, FILE);
  } catch (e: unknown) {
    if (e instanceof FeedbackFileError) return e;
    throw e;
  }
  throw new Error('expected parseFeedback to reject');
}

describe('parseFeedback: good files', () => {
  it('reads every column, with notes that hold commas, quotes and newlines', async () => {
    const text = [
      'trade_id,source_row,file,verdict,note',
      'T-1,,,false_positive,"block trade, agreed by phone"',
      ',42,trades-2024-05-02.csv,confirmed,"client said ""never"""',
      'T-3,7,incoming/trades-2024-05-03.csv,fp,"two',
      'lines"',
      'T-4,,,tp,',
    ].join('\n');

    const entries = await parseFeedback(text, FILE);

    expect(entries).toEqual<FeedbackEntry[]>([
      { tradeId: 'T-1', sourceRow: null, file: null, verdict: 'false_positive', note: 'block trade, agreed by phone', origin: { file: FILE, line: 2 } },
      { tradeId: null, sourceRow: 42, file: 'trades-2024-05-02.csv', verdict: 'confirmed', note: 'client said "never"', origin: { file: FILE, line: 3 } },
      { tradeId: 'T-3', sourceRow: 7, file: 'incoming/trades-2024-05-03.csv', verdict: 'false_positive', note: 'two\nlines', origin: { file: FILE, line: 4 } },
      { tradeId: 'T-4', sourceRow: null, file: null, verdict: 'confirmed', note: '', origin: { file: FILE, line: 6 } },
    ]);
  });

  it.each([
    ['false_positive', 'false_positive'],
    ['False Positive', 'false_positive'],
    ['false-positive', 'false_positive'],
    ['FP', 'false_positive'],
    ['not_anomaly', 'false_positive'],
    ['Not an anomaly', 'false_positive'],
    ['false alarm', 'false_positive'],
    ['confirmed', 'confirmed'],
    ['CONFIRMED', 'confirmed'],
    ['true_positive', 'confirmed'],
    ['True positive', 'confirmed'],
    ['tp', 'confirmed'],
    ['Anomaly', 'confirmed'],
    ['  fp  ', 'false_positive'],
  ])('reads the verdict %j as %s', async (spelling, verdict) => {
    const [entry] = await parseFeedback(`trade_id,verdict\nT-1,${spelling}\n`, FILE);

    expect(entry.verdict).toBe(verdict);
  });

  it('takes header names in any case, with spaces or hyphens, in any order, and ignores other columns', async () => {
    const text = 'Analyst,Note,Verdict,Trade ID,Source-Row,FILE\nana,ok,fp, T-9 , 12 ,day.csv\n';

    const [entry] = await parseFeedback(text, FILE);

    expect(entry).toMatchObject({ tradeId: 'T-9', sourceRow: 12, file: 'day.csv', verdict: 'false_positive', note: 'ok' });
  });

  it('skips blank lines and spreadsheet rows with only empty fields, keeping line numbers', async () => {
    const text = '\uFEFFtrade_id;verdict;note\r\n\r\n;;\r\nT-1;fp;x\r\n ; ; \r\n';

    const entries = await parseFeedback(text, FILE);

    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ tradeId: 'T-1', origin: { file: FILE, line: 4 } });
  });

  it('reads bytes and byte streams as well as text', async () => {
    const text = 'trade_id,verdict\nT-1,fp\nT-2,confirmed\n';
    const bytes = new TextEncoder().encode(text);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 20);
      yield bytes.subarray(20);
    }

    const fromText = await parseFeedback(text, FILE);

    expect(await parseFeedback(bytes, FILE)).toEqual(fromText);
    expect(await parseFeedback(chunks(), FILE)).toEqual(fromText);
  });

  it('gives no entries for a file with only a header', async () => {
    expect(await parseFeedback('trade_id,verdict\n', FILE)).toEqual([]);
  });
});

describe('parseFeedback: bad files', () => {
  it.each([
    ['an unknown verdict', 'trade_id,verdict\nT-1,maybe\n', 2, 'verdict', 'maybe', /is not a verdict \(accepted: false_positive, fp/],
    ['an empty verdict', 'trade_id,verdict\nT-1,\n', 2, 'verdict', '', /is not a verdict/],
    ['a prototype member as verdict', 'trade_id,verdict\nT-1,constructor\n', 2, 'verdict', 'constructor', /is not a verdict/],
    ['source_row 0', 'source_row,file,verdict\n0,a.csv,fp\n', 2, 'source_row', '0', /is not a row number/],
    ['a negative source_row', 'source_row,file,verdict\n-3,a.csv,fp\n', 2, 'source_row', '-3', /is not a row number/],
    ['a fractional source_row', 'source_row,file,verdict\n1.5,a.csv,fp\n', 2, 'source_row', '1.5', /is not a row number/],
    ['a source_row in words', 'source_row,file,verdict\nten,a.csv,fp\n', 2, 'source_row', 'ten', /is not a row number/],
    ['a line naming no trade', 'trade_id,source_row,verdict\nT-1,,fp\n,,confirmed\n', 3, 'trade_id', undefined, /names no trade/],
    ['a source_row without a file', 'trade_id,source_row,file,verdict\n,12,,fp\n', 2, 'file', undefined, /needs the trade file/],
    ['a source_row in a file without a file column', 'source_row,verdict\n12,fp\n', 2, 'file', undefined, /needs the trade file/],
  ])('rejects %s, naming the line, field and value', async (_name, text, line, field, value, message) => {
    const error = await parseError(text);

    expect(error).toMatchObject({ name: 'FeedbackFileError', file: FILE, line, field, value });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`${FILE}: line ${line}`);
  });

  it.each([
    ['an unquoted comma in a note (too many fields)', 'trade_id,verdict,note\nT-1,fp,big, but fine\n', 2, /4 fields, the header has 3/],
    ['a missing field', 'trade_id,verdict,note\nT-1,fp\nT-2,fp,x\n', 2, /2 fields, the header has 3/],
    ['a stray quote', 'trade_id,verdict,note\nT-1,fp,he said "no"\n', 2, /STRAY_QUOTE/],
    ['an unterminated quote', 'trade_id,verdict,note\nT-1,fp,"open\nT-2,fp,x\n', 2, /UNTERMINATED_QUOTE/],
    ['a header without a verdict column', 'trade_id,note\nT-1,x\n', 1, /no verdict column \(found: trade_id, note\)/],
    ['a header without trade_id or source_row', 'file,verdict\na.csv,fp\n', 1, /neither a trade_id nor a source_row/],
    ['a header with a column twice', 'trade_id,verdict,Verdict\nT-1,fp,fp\n', 1, /twice/],
    ['an empty file', '', 1, /empty/],
    ['a file of blank lines', '\n\n', 1, /empty/],
  ])('rejects %s', async (_name, text, line, message) => {
    const error = await parseError(text);

    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${FILE}: line ${line}`)).toBe(true);
  });
});

/** An entry as parseFeedback would give it, for index tests. */
function entry(partial: Partial<FeedbackEntry> & Pick<FeedbackEntry, 'verdict'>, line = 2): FeedbackEntry {
  return { tradeId: null, sourceRow: null, file: null, note: '', origin: { file: FILE, line }, ...partial };
}

describe('FeedbackIndex', () => {
  it('matches a trade_id line in every trade file', () => {
    const index = new FeedbackIndex([entry({ tradeId: 'T-1', verdict: 'false_positive' })]);

    expect(index.verdictFor('incoming/trades-2024-05-02.csv', 'T-1', 5)?.verdict).toBe('false_positive');
    expect(index.verdictFor('trades-2024-06-30.csv.gz', 'T-1', 900)?.verdict).toBe('false_positive');
    expect(index.verdictFor('incoming/trades-2024-05-02.csv', 'T-2', 5)).toBeUndefined();
    expect(index.verdictFor('incoming/trades-2024-05-02.csv', null, 5)).toBeUndefined();
  });

  it.each([
    ['the stem', 'trades-2024-05-02'],
    ['the name', 'trades-2024-05-02.csv'],
    ['the gzipped name', 'trades-2024-05-02.csv.gz'],
    ['the key', 'incoming/trades-2024-05-02.csv'],
    ['the S3 URL', 's3://trade-bucket/incoming/trades-2024-05-02.csv'],
  ])('limits a line to the trade file named by %s', (_name, file) => {
    const index = new FeedbackIndex([entry({ tradeId: 'T-1', file, verdict: 'confirmed' })]);

    expect(index.verdictFor('incoming/trades-2024-05-02.csv', 'T-1', 5)?.verdict).toBe('confirmed');
    expect(index.verdictFor('incoming/trades-2024-05-03.csv', 'T-1', 5)).toBeUndefined();
  });

  it('matches a key filter on the key only, not on a file of the same name in another folder', () => {
    const index = new FeedbackIndex([entry({ tradeId: 'T-1', file: 'incoming/day.csv', verdict: 'confirmed' })]);

    expect(index.verdictFor('incoming/day.csv', 'T-1', 1)).toBeDefined();
    expect(index.verdictFor('/tmp/run/incoming/day.csv', 'T-1', 1)).toBeDefined();
    expect(index.verdictFor('archive/day.csv', 'T-1', 1)).toBeUndefined();
    expect(index.verdictFor('incoming/day.csv.bak', 'T-1', 1)).toBeUndefined();
  });

  it('matches a source_row line only in its own file', () => {
    const index = new FeedbackIndex([entry({ sourceRow: 42, file: 'trades-2024-05-02', verdict: 'false_positive' })]);

    expect(index.verdictFor('incoming/trades-2024-05-02.csv', 'anything', 42)?.verdict).toBe('false_positive');
    expect(index.verdictFor('incoming/trades-2024-05-02.csv', null, 42)?.verdict).toBe('false_positive');
    expect(index.verdictFor('incoming/trades-2024-05-02.csv', null, 43)).toBeUndefined();
    expect(index.verdictFor('incoming/trades-2024-05-03.csv', null, 42)).toBeUndefined();
  });

  it('needs both to match when a line gives trade_id and source_row', () => {
    const index = new FeedbackIndex([entry({ tradeId: 'T-1', sourceRow: 7, verdict: 'confirmed' })]);

    expect(index.verdictFor('a.csv', 'T-1', 7)?.verdict).toBe('confirmed');
    expect(index.verdictFor('a.csv', 'T-1', 8)).toBeUndefined(); // the same id repeated at another row
    expect(index.verdictFor('a.csv', 'T-2', 7)).toBeUndefined();
  });

  it('lets a later line override an earlier one, whichever key each uses', () => {
    const index = new FeedbackIndex([
      entry({ tradeId: 'T-1', verdict: 'false_positive', note: 'first' }, 2),
      entry({ sourceRow: 5, file: 'a.csv', verdict: 'confirmed', note: 'second' }, 3),
      entry({ tradeId: 'T-1', file: 'b.csv', verdict: 'confirmed', note: 'third' }, 4),
    ]);

    expect(index.verdictFor('a.csv', 'T-1', 5)).toMatchObject({ note: 'second', origin: { line: 3 } });
    expect(index.verdictFor('a.csv', 'T-1', 6)).toMatchObject({ note: 'first', verdict: 'false_positive' });
    expect(index.verdictFor('b.csv', 'T-1', 5)).toMatchObject({ note: 'third' });
    expect(index.verdictFor('c.csv', 'T-1', 5)).toMatchObject({ note: 'first' });
  });

  it('trims the trade id it is asked about, as the parser trims the file', () => {
    const index = new FeedbackIndex([entry({ tradeId: 'T-1', verdict: 'confirmed' })]);

    expect(index.verdictFor('a.csv', ' T-1 ', 1)).toBeDefined();
  });
});

describe('mergeFeedback', () => {
  it('keeps the files in order, so a later file overrides an earlier one', async () => {
    const may = await parseFeedback('trade_id,verdict,note\nT-1,fp,may\nT-2,fp,may\n', 'may.csv');
    const june = await parseFeedback('trade_id,verdict,note\nT-1,confirmed,june\n', 'june.csv');

    const merged = mergeFeedback([may, june]);
    const index = new FeedbackIndex(merged);

    expect(merged).toHaveLength(3);
    expect(index.size).toBe(3);
    expect(index.verdictFor('x.csv', 'T-1', 1)).toMatchObject({ verdict: 'confirmed', origin: { file: 'june.csv', line: 2 } });
    expect(index.verdictFor('x.csv', 'T-2', 1)).toMatchObject({ verdict: 'false_positive', origin: { file: 'may.csv', line: 3 } });
  });
});
