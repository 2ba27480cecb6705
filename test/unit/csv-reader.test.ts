import { describe, expect, it } from 'vitest';
import {
  detectDelimiter,
  readCsvBatches,
  type CsvReaderOptions,
  type CsvRecord,
  type CsvRecordIssue,
} from '../../src/parse/csv-reader.js';
import { rng } from '../support/seeded-rng.js';

const encoder = new TextEncoder();

function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

async function* chunked(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function readBatches(chunks: Uint8Array[], options?: CsvReaderOptions): Promise<CsvRecord[][]> {
  const batches: CsvRecord[][] = [];
  for await (const batch of readCsvBatches(chunked(chunks), options)) batches.push(batch);
  return batches;
}

/** All records of `input`, fed as one chunk (or split at the given byte offsets). */
async function read(input: string | Uint8Array, options?: CsvReaderOptions, splits: number[] = []): Promise<CsvRecord[]> {
  const bytes = bytesOf(input);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of [...splits, bytes.length]) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return (await readBatches(chunks, options)).flat();
}

/** Compact form for expectations: [fields, line] or [fields, line, issue]. */
type Row = [string[], number] | [string[], number, CsvRecordIssue];
function rows(records: CsvRecord[]): Row[] {
  return records.map((r) => (r.issue === undefined ? [r.fields, r.line] : [r.fields, r.line, r.issue]));
}


/**
 * A slow, obviously correct model of the reader's documented behaviour (without maxRecordBytes),
 * one character at a time, to check the fast indexOf-based scanner against.
 */
function referenceParse(text: string, delimiter: string, expectedFields?: number): Row[] {
  const out: Row[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === '\n' || text[i] === '\r') {
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let issue: CsvRecordIssue | undefined;
    let atEof = false;
    for (;;) {
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) {
            issue ??= 'UNTERMINATED_QUOTE';
            break;
          }
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            quoted = true;
            break;
          }
          if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) line++;
          value += text[i++];
        }
      }
      while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        if (quoted || text[i] === '"') issue ??= 'STRAY_QUOTE';
        value += text[i++];
      }
      fields.push(value);
      if (i < n && text[i] === delimiter) {
        i++;
        if (i < n) continue;
        fields.push('');
      }
      if (i >= n) atEof = true;
      else {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    const expected = expectedFields ?? (out.length > 0 ? out[0][0].length : undefined);
    if (atEof && issue === undefined && expected !== undefined && fields.length < expected) issue = 'TRUNCATED_LAST_LINE';
    out.push(issue === undefined ? [fields, start] : [fields, start, issue]);
  }
  return out;
}

describe('readCsvBatches: records and line numbers', () => {
  it.each<[string, string, Row[]]>([
    ['simple LF', 'a,b,c\n1,2,3\n4,5,6\n', [[['a', 'b', 'c'], 1], [['1', '2', '3'], 2], [['4', '5', '6'], 3]]],
    ['CRLF', 'a,b\r\n1,2\r\n', [[['a', 'b'], 1], [['1', '2'], 2]]],
    ['lone CR', 'a,b\r1,2\r3,4', [[['a', 'b'], 1], [['1', '2'], 2], [['3', '4'], 3]]],
    ['mixed line ends', 'a\r\nb\rc\nd', [[['a'], 1], [['b'], 2], [['c'], 3], [['d'], 4]]],
    ['UTF-8 BOM stripped', '\uFEFFa,b\n1,2\n', [[['a', 'b'], 1], [['1', '2'], 2]]],
    ['quoted delimiter', 'a,b\n"x,y",z\n', [[['a', 'b'], 1], [['x,y', 'z'], 2]]],
    ['doubled quotes', 'a,b\n"say ""hi""",""""\n', [[['a', 'b'], 1], [['say "hi"', '"'], 2]]],
    ['empty quoted field', '"",x\n', [[['', 'x'], 1]]],
    [
      'newline inside quotes keeps later line numbers right',
      'h1,h2\n"a\nb","c\r\nd"\ne,f\n',
      [[['h1', 'h2'], 1], [['a\nb', 'c\r\nd'], 2], [['e', 'f'], 5]],
    ],
    ['lone CR inside quotes', 'h\r"a\rb"\rc', [[['h'], 1], [['a\rb'], 2], [['c'], 4]]],
    ['empty fields', 'a,,c\n,,\n', [[['a', '', 'c'], 1], [['', '', ''], 2]]],
    ['trailing empty field', 'a,b,\n', [[['a', 'b', ''], 1]]],
    ['trailing empty field at EOF', 'a,b,', [[['a', 'b', ''], 1]]],
    ['blank lines skipped but counted', '\n\na,b\n\n\r\n\r1,2\n\n\n', [[['a', 'b'], 3], [['1', '2'], 7]]],
    ['whitespace-only line is a record', 'a\n \nb\n', [[['a'], 1], [[' '], 2], [['b'], 3]]],
    ['missing final newline: complete record read', 'a,b\n1,2', [[['a', 'b'], 1], [['1', '2'], 2]]],
    ['missing final newline after quoted field', 'a\n"x"', [[['a'], 1], [['x'], 2]]],
    [
      'missing final newline and fewer fields than the header',
      'a,b,c\n1,2,3\n4,5',
      [[['a', 'b', 'c'], 1], [['1', '2', '3'], 2], [['4', '5'], 3, 'TRUNCATED_LAST_LINE']],
    ],
    ['fewer fields but final newline present: not truncated', 'a,b,c\n4,5\n', [[['a', 'b', 'c'], 1], [['4', '5'], 2]]],
    ['header alone without newline', 'a,b,c', [[['a', 'b', 'c'], 1]]],
    ['unterminated quote at EOF', 'a,b\n1,"2\n3,4\n', [[['a', 'b'], 1], [['1', '2\n3,4\n'], 2, 'UNTERMINATED_QUOTE']]],
    ['unterminated quote: doubled quote at EOF', 'a\n"x""', [[['a'], 1], [['x"'], 2, 'UNTERMINATED_QUOTE']]],
    ['stray quote inside unquoted field', 'a,b"c,d\n1,2,3\n', [[['a', 'b"c', 'd'], 1, 'STRAY_QUOTE'], [['1', '2', '3'], 2]]],
    ['text after closing quote', '"ab"cd,e\n"x" ,y\n', [[['abcd', 'e'], 1, 'STRAY_QUOTE'], [['x ', 'y'], 2, 'STRAY_QUOTE']]],
    ['stray quote at EOF keeps its own issue', 'a,b,c\n1,2"', [[['a', 'b', 'c'], 1], [['1', '2"'], 2, 'STRAY_QUOTE']]],
    ['empty input', '', []],
    ['only blank lines', '\n\r\n\r', []],
  ])('%s', async (_name, input, expected) => {
    expect(rows(await read(input))).toEqual(expected);
  });

  it('flags TRUNCATED_LAST_LINE against expectedFields when given', async () => {
    expect(rows(await read('a,b,c\n1,2,3', { expectedFields: 4 }))).toEqual([
      [['a', 'b', 'c'], 1],
      [['1', '2', '3'], 2, 'TRUNCATED_LAST_LINE'],
    ]);
    expect(rows(await read('a,b,c\n1,2', { expectedFields: 2 }))).toEqual([
      [['a', 'b', 'c'], 1],
      [['1', '2'], 2],
    ]);
  });

  it('omits the issue property on clean records', async () => {
    const [rec] = await read('a,b\n');
    expect(rec).toStrictEqual({ fields: ['a', 'b'], line: 1 });
  });
});

describe('readCsvBatches: RECORD_TOO_LARGE', () => {
  it('truncates an oversized record, skips its rest and reads the next records correctly', async () => {
    const input = `h1,h2\n${'x'.repeat(30)},${'y'.repeat(30)}\n1,2\n"3",4\n`;
    expect(rows(await read(input, { maxRecordBytes: 20 }))).toEqual([
      [['h1', 'h2'], 1],
      [['x'.repeat(20)], 2, 'RECORD_TOO_LARGE'],
      [['1', '2'], 3],
      [['3', '4'], 4],
    ]);
  });

  it('keeps the fields that fit, and the cut part of the field in progress', async () => {
    expect(rows(await read('aaaa,bbbb,cccc\r\nz\r\n', { maxRecordBytes: 7 }))).toEqual([
      [['aaaa', 'bb'], 1, 'RECORD_TOO_LARGE'],
      [['z'], 2],
    ]);
  });

  it('a record of exactly maxRecordBytes is not flagged', async () => {
    expect(rows(await read('abcde\nabcdef\n', { maxRecordBytes: 5 }))).toEqual([
      [['abcde'], 1],
      [['abcde'], 2, 'RECORD_TOO_LARGE'],
    ]);
  });

  it('measures UTF-8 bytes, never splitting a character', async () => {
    // é is 2 bytes, 😀 is 4 bytes (a surrogate pair)
    expect(rows(await read('éé\nééé\n😀\n', { maxRecordBytes: 5 }))).toEqual([
      [['éé'], 1],
      [['éé'], 2, 'RECORD_TOO_LARGE'],
      [['😀'], 3],
    ]);
    expect(rows(await read('😀\n', { maxRecordBytes: 3 }))).toEqual([[[''], 1, 'RECORD_TOO_LARGE']]);
  });

  it('an oversized multi-line quoted record resumes at the next physical line end', async () => {
    const input = 'h\n"0123456789ABC\nDEF",x\nnext\n';
    expect(rows(await read(input, { maxRecordBytes: 10 }))).toEqual([
      [['h'], 1],
      [['012345678'], 2, 'RECORD_TOO_LARGE'],
      [['DEF"', 'x'], 3, 'STRAY_QUOTE'],
      [['next'], 4],
    ]);
  });

  it('counts line breaks inside the kept part of an oversized quoted record', async () => {
    const input = 'h\n"ab\r\ncd\nefghijklmnop\nq"\nnext\n';
    expect(rows(await read(input, { maxRecordBytes: 12 }))).toEqual([
      [['h'], 1],
      [['ab\r\ncd\nefgh'], 2, 'RECORD_TOO_LARGE'],
      [['q"'], 5, 'STRAY_QUOTE'],
      [['next'], 6],
    ]);
  });

  it('an oversized last record without newline', async () => {
    expect(rows(await read('a\nbbbbbbbbbb', { maxRecordBytes: 4 }))).toEqual([
      [['a'], 1],
      [['bbbb'], 2, 'RECORD_TOO_LARGE'],
    ]);
  });

  it('an unterminated quote in a big file is capped at maxRecordBytes (default 1 MiB), not the rest of the file', async () => {
    const body = 'T1,2024-01-02T10:00:00Z,ABC,BUY,100,10.5\n'.repeat(60_000); // ~2.4 MB
    const bytes = encoder.encode(`id,ts,sym,side,qty,px\n"oops,${body}`);
    const splits = Array.from({ length: Math.floor(bytes.length / 65536) }, (_, k) => (k + 1) * 65536);
    const records = await read(bytes, {}, splits);
    const flagged = records.filter((r) => r.issue !== undefined);
    expect(flagged).toHaveLength(1);
    expect(flagged[0].issue).toBe('RECORD_TOO_LARGE');
    expect(flagged[0].line).toBe(2);
    expect(flagged[0].fields.join('').length).toBeLessThanOrEqual(1024 * 1024);
    const after = records.slice(2);
    expect(after.length).toBeGreaterThan(30_000);
    expect(after.length).toBeLessThan(60_000);
    for (const r of after) expect(r.fields).toEqual(['T1', '2024-01-02T10:00:00Z', 'ABC', 'BUY', '100', '10.5']);
    expect(records.at(-1)!.line).toBe(60_001);
  });
});

describe('readCsvBatches: bytes and chunks', () => {
  it('replaces invalid UTF-8 with U+FFFD without throwing', async () => {
    const bytes = Uint8Array.from([0x61, 0xff, 0x2c, 0xc3, 0x28, 0x0a, 0xe2, 0x82]); // a<FF>,<C3>(\n<E2 82>
    expect(rows(await read(bytes))).toEqual([
      [['a\uFFFD', '\uFFFD('], 1],
      [['\uFFFD'], 2, 'TRUNCATED_LAST_LINE'], // no final newline, fewer fields than the header
    ]);
  });

  const chunkCases: [string, string, CsvReaderOptions][] = [
    [
      'quoting, line ends, multi-byte characters',
      '\uFEFFid;name;note\r\n1;"Zoë; ""the"" 😀";"multi\r\nline"\r\n\r\n2;é;x\r3;"a\rb";\n4;b"c;"d"e\n5;"unterminated é\n',
      {},
    ],
    ['oversized records', 'h,i\n' + 'é'.repeat(12) + ',x\n"ab\r\ncdéfghijk\r\nlm",z\r\n1,2\r\n😀😀😀😀\n3,4', { maxRecordBytes: 9 }],
    ['truncated last line', 'a,b,c\r\n1,2,3\r\n4,"5\r\n6"', {}],
  ];

  it.each(chunkCases)('gives identical output for a split at every byte offset: %s', async (_name, input, options) => {
    const bytes = bytesOf(input);
    const whole = await read(bytes, options);
    expect(whole.length).toBeGreaterThan(2);
    for (let at = 0; at <= bytes.length; at++) {
      expect(await read(bytes, options, [at]), `split at ${at}`).toEqual(whole);
    }
    const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
    expect(await read(bytes, options, everyByte), 'one byte per chunk').toEqual(whole);
  });

  it.each(chunkCases)('gives identical output for every pair of split offsets: %s', async (_name, input, options) => {
    const bytes = bytesOf(input);
    const whole = await read(bytes, options);
    for (let a = 1; a < bytes.length; a += 1) {
      for (let b = a + 1; b < bytes.length; b += 3) {
        expect(await read(bytes, options, [a, b]), `split at ${a}, ${b}`).toEqual(whole);
      }
    }
  });

  it('never throws on random garbage, and chunking never changes the output', async () => {
    const alphabet = [0x2c, 0x3b, 0x09, 0x7c, 0x22, 0x22, 0x0a, 0x0d, 0x0d, 0x61, 0x62, 0x20, 0xc3, 0xa9, 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0xff];
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const length = Math.floor(rand() * 400);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        bytes[i] = rand() < 0.8 ? alphabet[Math.floor(rand() * alphabet.length)] : Math.floor(rand() * 256);
      }
      const options: CsvReaderOptions = {
        maxRecordBytes: rand() < 0.5 ? 1 + Math.floor(rand() * 40) : undefined,
        batchSize: 1 + Math.floor(rand() * 5),
        expectedFields: rand() < 0.5 ? Math.floor(rand() * 4) : undefined,
      };
      const splits = Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * (length + 1))).sort((x, y) => x - y);
      const whole = await read(bytes, options);
      const split = await read(bytes, options, splits);
      expect(split, `seed ${seed}`).toEqual(whole);
      let lastLine = 0;
      for (const r of whole) {
        expect(r.line, `seed ${seed}`).toBeGreaterThan(lastLine);
        expect(r.fields.length, `seed ${seed}`).toBeGreaterThan(0);
        lastLine = r.line;
      }
    }
  });

  it('matches a character-by-character reference model on random CSV-like input', async () => {
    const pieces = ['a', 'bc', ' ', '1.5', 'é', '😀', '"', '""', ',', ';', '\t', '|', '\n', '\r', '\r\n', '\n\n'];
    const delimiters = [',', ';', '\t', '|'];
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(1000 + seed);
      let text = '';
      const count = Math.floor(rand() * 60);
      for (let i = 0; i < count; i++) text += pieces[Math.floor(rand() * pieces.length)];
      const delimiter = delimiters[Math.floor(rand() * delimiters.length)];
      const expectedFields = rand() < 0.3 ? Math.floor(rand() * 4) : undefined;
      const bytes = encoder.encode(text);
      const splits = Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * (bytes.length + 1))).sort((x, y) => x - y);
      const got = rows(await read(bytes, { delimiter, expectedFields }, splits));
      expect(got, `seed ${seed}: ${JSON.stringify(text)}`).toEqual(referenceParse(text, delimiter, expectedFields));
    }
  });

  it('counts blank lines across many tiny chunks, CRLF split between chunks', async () => {
    const chunks = [...Array.from({ length: 20_000 }, (_, k) => encoder.encode(k % 2 === 0 ? '\r' : '\n')), encoder.encode('a,b\n\r')];
    chunks.push(encoder.encode('\n1,2'));
    expect(rows((await readBatches(chunks)).flat())).toEqual([
      [['a', 'b'], 10_001],
      [['1', '2'], 10_003],
    ]);
  });

  it('propagates an error thrown by the source', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('a,b\n');
      throw new Error('connection reset');
    }
    const consume = async () => {
      for await (const _ of readCsvBatches(failing())) void _;
    };
    await expect(consume()).rejects.toThrow('connection reset');
  });
});

describe('readCsvBatches: batches', () => {
  it('yields batches of batchSize records, the last one partial', async () => {
    const input = Array.from({ length: 10 }, (_, i) => `${i},x\n`).join('');
    const bytes = bytesOf(input);
    const batches = await readBatches([bytes.subarray(0, 7), bytes.subarray(7)], { batchSize: 3 });
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(batches.flat().map((r) => r.fields[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('defaults to 4096 records per batch', async () => {
    const input = Array.from({ length: 5000 }, (_, i) => `${i}\n`).join('');
    const batches = await readBatches([bytesOf(input)]);
    expect(batches.map((b) => b.length)).toEqual([4096, 904]);
  });

  it.each<[CsvReaderOptions]>([
    [{ delimiter: '' }],
    [{ delimiter: ',,' }],
    [{ delimiter: '"' }],
    [{ delimiter: '\n' }],
    [{ batchSize: 0 }],
    [{ maxRecordBytes: 1.5 }],
    [{ expectedFields: -1 }],
  ])('rejects invalid options %j', async (options) => {
    await expect(readBatches([bytesOf('a\n')], options)).rejects.toThrow(RangeError);
  });
});

describe('delimiter detection', () => {
  it.each([
    ['a,b,c', ','],
    ['a;b;c', ';'],
    ['a\tb\tc', '\t'],
    ['a|b|c', '|'],
    ['a;b,c;d', ';'],
    ['"x,y,z";a;b', ';'],
    ['"x;""y;z""";a,b', ','],
    ['abc', ','],
    ['', ','],
    ['a,b;c', ','],
    ['a|b\tc', '\t'],
  ])('detectDelimiter(%j) = %j', (line, expected) => {
    expect(detectDelimiter(line)).toBe(expected);
  });

  it.each([
    ['semicolon', '\uFEFFa;b;c\n1;2,5;3\n', ['1', '2,5', '3']],
    ['tab', 'a\tb\n1\t2\n', ['1', '2']],
    ['pipe after blank lines', '\n\na|b\n1|2\n', ['1', '2']],
    ['comma in a file without line end', 'a,b', undefined],
  ])('the reader detects the delimiter from the first line: %s', async (_name, input, second) => {
    const bytes = bytesOf(input);
    const whole = await read(bytes);
    expect(whole[0].fields.length).toBeGreaterThan(1);
    if (second) expect(whole[1].fields).toEqual(second);
    for (let at = 0; at <= bytes.length; at++) expect(await read(bytes, {}, [at])).toEqual(whole);
  });

  it('an explicit delimiter wins over detection', async () => {
    expect(rows(await read('a;b,c\n', { delimiter: ',' }))).toEqual([[['a;b', 'c'], 1]]);
  });

  it('detects from the first line even when it spans a quoted newline', async () => {
    expect(rows(await read('"a\nb";c\n1;2\n'))).toEqual([
      [['a\nb', 'c'], 1],
      [['1', '2'], 3],
    ]);
  });
});
