/**
 * Streaming CSV record reader for trade files.
 *
 * Why our own and not csv-parse/papaparse: every malformed row must be kept and flagged with a
 * reason (never skipped, never aborting the stream), each record carries its 1-based physical line
 * number, memory is bounded by `maxRecordBytes` plus one source chunk, and records come out in
 * batches for speed.
 *
 * How it works: each source chunk is decoded with one streaming TextDecoder (invalid bytes become
 * U+FFFD, a leading BOM is dropped) and appended to the unfinished tail of the previous chunk. The
 * scanner finds fields with `indexOf`, caching the next delimiter, LF, CR and quote positions so
 * every character is looked at a constant number of times per chunk. A record that is not finished
 * at the end of a chunk is carried over and parsed again once more text arrives; the carry never
 * grows past `maxRecordBytes`, because a longer record is flagged RECORD_TOO_LARGE, truncated, and
 * the rest of it is skipped up to the next physical line end. With `recoverUnclosedQuotes`, a quote
 * never closed (by the end of the file or within that limit) ends its record at its own line end
 * instead, and reading goes on with the next line.
 *
 * Memory note for callers: field strings may be V8 "sliced strings" that keep their chunk's text
 * (one chunk, typically 64 KiB) alive while they are referenced; copy a field you keep for the
 * whole file (e.g. a map key) if that matters.
 */

export interface CsvRecord {
  /** field values, unquoted ("" inside quotes -> ") */
  fields: string[];
  /** 1-based physical line number where the record starts in the file */
  line: number;
  /** set when the record is malformed; fields then hold what could be recovered */
  issue?: CsvRecordIssue;
}

export type CsvRecordIssue =
  /** file ended inside a quoted field */
  | 'UNTERMINATED_QUOTE'
  /** a quote inside an unquoted field, or text after a closing quote before the delimiter */
  | 'STRAY_QUOTE'
  /** record exceeded maxRecordBytes; fields truncated, the rest of that record skipped up to its end of line */
  | 'RECORD_TOO_LARGE'
  /** last record of the file lacks its final newline AND has fewer fields than the header (or expectedFields) */
  | 'TRUNCATED_LAST_LINE';

export interface CsvReaderOptions {
  /** one character; when absent, detected from the first line: the most frequent of , ; \t | outside quotes (default ',') */
  delimiter?: string;
  /** default 1 MiB; measured as the UTF-8 length of the record's decoded text, line end excluded */
  maxRecordBytes?: number;
  /** records per yielded batch, default 4096 */
  batchSize?: number;
  /** lets the reader flag TRUNCATED_LAST_LINE; when absent, the first record's (the header's) field count is used */
  expectedFields?: number;
  /**
   * What a quote that is never closed (by the end of the file, or within maxRecordBytes) means.
   * false (default, RFC 4180): the field runs on, line breaks and all, to the end of the file or the
   * size limit, taking every line after it. true: the quote was stray; its record ends at the line
   * end after the opening quote (flagged UNTERMINATED_QUOTE) and the following lines are read as
   * records again. Files of one record a line (trade files) want true: one bad quote must not hide
   * the rows after it (up to 1 MiB of them) inside a single field.
   */
  recoverUnclosedQuotes?: boolean;
  /** The physical line number of the source's first line (default 1): for a part of a file read on its own. */
  firstLine?: number;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const DEFAULT_BATCH_SIZE = 4096;
const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * Reads records from a byte stream (file or S3 body), decoding UTF-8 with a streaming TextDecoder
 * (invalid bytes become U+FFFD; never throws), stripping a leading UTF-8 BOM, accepting LF, CRLF and
 * lone CR line ends, RFC 4180 quoting (quoted delimiters, doubled quotes, newlines inside quotes;
 * line numbers still count physical lines). Blank lines (zero characters) are skipped, but still
 * counted in line numbers. Yields arrays of records.
 *
 * Throws only for invalid options (RangeError) and for errors raised by the source itself.
 */
export async function* readCsvBatches(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: CsvReaderOptions = {},
): AsyncGenerator<CsvRecord[]> {
  const reader = new RecordReader(options);
  const decoder = new TextDecoder('utf-8', { fatal: false }); // ignoreBOM: false => drops a leading BOM
  for await (const chunk of source) {
    reader.push(decoder.decode(chunk, { stream: true }), false);
    yield* reader.takeReady();
  }
  reader.push(decoder.decode(), true);
  yield* reader.takeReady();
  const rest = reader.takeRest();
  if (rest.length > 0) yield rest;
}

/** The delimiter the reader uses for a first line when none is given. */
export function detectDelimiter(firstLine: string): string {
  const counts = [0, 0, 0, 0];
  let inQuotes = false;
  for (let i = 0; i < firstLine.length; i++) {
    const c = firstLine[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes) {
      const k = CANDIDATE_DELIMITERS.indexOf(c as (typeof CANDIDATE_DELIMITERS)[number]);
      if (k >= 0) counts[k]++;
    }
  }
  let best = 0; // ties go to the earlier candidate; no candidate at all => ','
  for (let k = 1; k < counts.length; k++) if (counts[k] > counts[best]) best = k;
  return CANDIDATE_DELIMITERS[best];
}

/** Holds the state that lives across chunks: carry, line number, pending CR, skip mode, batches. */
class RecordReader {
  private readonly maxBytes: number;
  private readonly batchSize: number;
  private readonly expectedFields: number | undefined;
  private readonly recoverUnclosedQuotes: boolean;
  private delimiter: string | undefined;
  private scanner: Scanner | undefined;

  private carry = '';
  private line = 1;
  /** the last buffer ended with a CR: an LF starting the next buffer belongs to it */
  private pendingCR = false;
  /** inside the unread rest of a RECORD_TOO_LARGE record: drop text up to the next line end */
  private skipping = false;
  private headerFields = -1;
  private batch: CsvRecord[] = [];
  private ready: CsvRecord[][] = [];

  // resumable scan for the first line, used only while the delimiter is being detected
  private firstSeen = false;
  private firstPos = 0;
  private firstInQuotes = false;

  constructor(options: CsvReaderOptions) {
    const { delimiter, maxRecordBytes, batchSize, expectedFields } = options;
    this.recoverUnclosedQuotes = options.recoverUnclosedQuotes ?? false;
    if (delimiter !== undefined) {
      if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
        throw new RangeError(`delimiter must be one character other than a quote or line end, got ${JSON.stringify(delimiter)}`);
      }
      this.setDelimiter(delimiter);
    }
    this.maxBytes = positiveInteger('maxRecordBytes', maxRecordBytes, DEFAULT_MAX_RECORD_BYTES);
    this.batchSize = positiveInteger('batchSize', batchSize, DEFAULT_BATCH_SIZE);
    if (expectedFields !== undefined && !(Number.isInteger(expectedFields) && expectedFields >= 0)) {
      throw new RangeError(`expectedFields must be a non-negative integer, got ${expectedFields}`);
    }
    this.expectedFields = expectedFields;
    this.line = positiveInteger('firstLine', options.firstLine, 1);
  }

  takeReady(): CsvRecord[][] {
    const ready = this.ready;
    this.ready = [];
    return ready;
  }

  takeRest(): CsvRecord[] {
    const rest = this.batch;
    this.batch = [];
    return rest;
  }

  /** Parses as many whole records as `text` (appended to the carry) allows; `final` = end of file. */
  push(text: string, final: boolean): void {
    if (text.length === 0 && !final) return;
    let s = this.carry.length > 0 ? this.carry + text : text;
    this.carry = '';
    if (this.scanner === undefined) {
      if (!this.firstSeen) {
        // consume leading blank lines now, so that waiting for the first line stays bounded
        s = s.slice(this.skipBlankLines(s, this.afterPendingCR(s), final));
        if (s.length === 0) return;
        this.firstSeen = true;
      }
      // detect from the first line, or its first maxRecordBytes characters: the same text
      // whatever the chunking
      const end = this.scanFirstLine(s);
      if (end < 0 && !final && s.length < this.maxBytes) {
        this.carry = s; // wait for more of the first line
        return;
      }
      this.setDelimiter(detectDelimiter(s.slice(0, Math.min(end < 0 ? s.length : end, this.maxBytes))));
    }
    if (s.length > 0) this.parse(s, final);
  }

  private setDelimiter(delimiter: string): void {
    this.delimiter = delimiter;
    this.scanner = new Scanner(delimiter, this.recoverUnclosedQuotes);
  }

  /** End index of the first line (a line end outside quotes), or -1 if not in `s` yet. */
  private scanFirstLine(s: string): number {
    let i = this.firstPos;
    let inQuotes = this.firstInQuotes;
    let found = -1;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (!inQuotes && (c === LF || c === CR)) {
        found = i;
        break;
      }
    }
    this.firstPos = i;
    this.firstInQuotes = inQuotes;
    return found;
  }

  /** Start position in a new buffer: skips an LF that completes a CR ending the previous buffer. */
  private afterPendingCR(s: string): number {
    if (!this.pendingCR) return 0;
    this.pendingCR = false;
    return s.charCodeAt(0) === LF ? 1 : 0;
  }

  /** Skips blank lines (counting them) from p; returns the first position that is not a line end. */
  private skipBlankLines(s: string, p: number, final: boolean): number {
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === LF) {
        this.line++;
        p++;
      } else if (c === CR) p = this.afterCR(s, p, final);
      else break;
    }
    return p;
  }

  private parse(s: string, final: boolean): void {
    const sc = this.scanner!;
    sc.reset(s);
    const n = s.length;
    let p = this.afterPendingCR(s);
    if (this.skipping) p = this.skipToLineEnd(s, p, final);
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c === LF || c === CR) {
        p = this.skipBlankLines(s, p, final);
        continue;
      }
      const complete = sc.parseRecord(p, final);
      const end = complete ? sc.end : n;
      if ((end - p) * 3 > this.maxBytes && utf8Length(s, p, end) > this.maxBytes) {
        p = this.tooLarge(s, p, final);
        continue;
      }
      if (!complete) {
        this.carry = s.slice(p);
        return;
      }
      let issue = sc.issue;
      if (end === n) {
        // ended by end of file, without a line end
        const expected = this.expectedFields ?? (this.headerFields >= 0 ? this.headerFields : undefined);
        if (issue === undefined && expected !== undefined && sc.fields.length < expected) {
          issue = 'TRUNCATED_LAST_LINE';
        }
      }
      this.emit(sc.fields, this.line, issue);
      this.line += sc.breaks;
      if (end === n) p = n;
      else if (s.charCodeAt(end) === LF) {
        this.line++;
        p = end + 1;
      } else p = this.afterCR(s, end, final);
    }
  }

  /** Consumes the CR at `i` (and an LF right after it); returns the next position. */
  private afterCR(s: string, i: number, final: boolean): number {
    this.line++;
    if (i + 1 < s.length) return s.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    if (!final) this.pendingCR = true;
    return i + 1;
  }

  /**
   * The record starting at `start` is longer than maxRecordBytes: emit its first maxRecordBytes,
   * parsed, flagged RECORD_TOO_LARGE, then skip to the next physical line end (quotes ignored, so a
   * stray opening quote cannot swallow the rest of the file).
   */
  private tooLarge(s: string, start: number, final: boolean): number {
    let cut = utf8Cut(s, start, this.maxBytes); // < the record's end, so s[cut] exists
    if (cut > start && s.charCodeAt(cut - 1) === CR && s.charCodeAt(cut) === LF) cut--; // keep CRLF whole
    const head = new Scanner(this.delimiter!, this.recoverUnclosedQuotes);
    head.reset(s.slice(start, cut));
    head.parseRecord(0, true);
    if (this.recoverUnclosedQuotes && head.end < cut - start) {
      // Only recovery ends the record before the cut: a quote not closed within the limit was stray,
      // so the record is its first line, and reading resumes at that line's end.
      this.emit(head.fields, this.line, head.issue);
      this.line += head.breaks;
      this.scanner!.invalidate(); // the scan jumps back: cached positions may be past it
      return start + head.end;
    }
    this.emit(head.fields, this.line, 'RECORD_TOO_LARGE');
    this.line += countLineBreaks(s, start, cut);
    this.scanner!.invalidate(); // the scan jumps back to `cut`: cached positions may be past it
    this.skipping = true;
    return this.skipToLineEnd(s, cut, final);
  }

  private skipToLineEnd(s: string, from: number, final: boolean): number {
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === LF) {
        this.skipping = false;
        this.line++;
        return i + 1;
      }
      if (c === CR) {
        this.skipping = false;
        return this.afterCR(s, i, final);
      }
    }
    return s.length;
  }

  private emit(fields: string[], line: number, issue: CsvRecordIssue | undefined): void {
    if (this.headerFields < 0) this.headerFields = fields.length;
    this.batch.push(issue === undefined ? { fields, line } : { fields, line, issue });
    if (this.batch.length >= this.batchSize) {
      this.ready.push(this.batch);
      this.batch = [];
    }
  }
}

/**
 * Parses one record of one buffer. Results go to `fields`, `issue`, `end` and `breaks` (no object
 * per call). The next-delimiter/LF/CR/quote caches are valid as long as queries move forward.
 */
class Scanner {
  private readonly delimiter: string;
  private readonly delimCode: number;
  private readonly recoverUnclosedQuotes: boolean;
  private s = '';
  private n = 0;
  private nextDelim = -1;
  private nextLF = -1;
  private nextCR = -1;
  private nextQuote = -1;

  fields: string[] = [];
  issue: CsvRecordIssue | undefined;
  /** index of the record's line end, or the buffer length when the buffer (final) ended it */
  end = 0;
  /** physical line breaks inside quoted fields of the record */
  breaks = 0;

  constructor(delimiter: string, recoverUnclosedQuotes = false) {
    this.delimiter = delimiter;
    this.delimCode = delimiter.charCodeAt(0);
    this.recoverUnclosedQuotes = recoverUnclosedQuotes;
  }

  reset(s: string): void {
    this.s = s;
    this.n = s.length;
    this.invalidate();
  }

  invalidate(): void {
    this.nextDelim = this.nextLF = this.nextCR = this.nextQuote = -1;
  }

  /** Returns false when the record may continue past the buffer (only when not `final`). */
  parseRecord(start: number, final: boolean): boolean {
    const s = this.s;
    const n = this.n;
    const d = this.delimCode;
    const fields: string[] = [];
    let issue: CsvRecordIssue | undefined;
    let breaks = 0;
    let p = start;
    for (;;) {
      let value: string;
      let fieldEnd: number; // index of the delimiter or line end after the field, or n
      if (p < n && s.charCodeAt(p) === QUOTE) {
        // quoted field: find the closing quote, unescaping doubled quotes
        const quoteAt = p;
        value = '';
        let q = p + 1;
        let close: number;
        for (;;) {
          close = s.indexOf('"', q);
          if (close === -1 || (close + 1 === n && !final)) {
            if (!final) return false;
            if (this.endAtQuoteLine(fields, quoteAt, n, issue, breaks)) return true;
            // file ended inside the quotes: keep what was there
            fields.push(value + s.slice(q));
            this.finish(fields, issue ?? 'UNTERMINATED_QUOTE', n, breaks + this.countBreaks(p + 1, n));
            return true;
          }
          if (close + 1 < n && s.charCodeAt(close + 1) === QUOTE) {
            value += s.slice(q, close + 1);
            q = close + 2;
          } else break;
        }
        // A "closing" quote with text after it, lines after the opening one, is another stray quote.
        const after = close + 1 < n ? s.charCodeAt(close + 1) : -1;
        if (after !== d && after !== LF && after !== CR && after !== -1 && this.endAtQuoteLine(fields, quoteAt, close, issue, breaks)) return true;
        value += s.slice(q, close);
        breaks += this.countBreaks(p + 1, close);
        p = close + 1;
        const c = p < n ? s.charCodeAt(p) : -1;
        if (c === d || c === LF || c === CR || c === -1) fieldEnd = p;
        else {
          // text between the closing quote and the delimiter: keep it, flag the record
          issue ??= 'STRAY_QUOTE';
          fieldEnd = this.fieldEnd(p);
          if (fieldEnd === n && !final) return false;
          value += s.slice(p, fieldEnd);
        }
      } else {
        fieldEnd = this.fieldEnd(p);
        if (fieldEnd === n && !final) return false;
        if (this.quoteFrom(p) < fieldEnd) issue ??= 'STRAY_QUOTE';
        value = s.slice(p, fieldEnd);
      }
      fields.push(value);
      if (fieldEnd < n && s.charCodeAt(fieldEnd) === d) {
        p = fieldEnd + 1;
        continue;
      }
      this.finish(fields, issue, fieldEnd, breaks);
      return true;
    }
  }

  /**
   * With recoverUnclosedQuotes: the quote at `quoteAt` is stray when its field reaches `limit` (the
   * end of the text, or a closing quote with text after it) across a line end. The field and the
   * record then end at that line end, flagged UNTERMINATED_QUOTE. Returns false (nothing done) when
   * not recovering or when the field has no line end before `limit`.
   */
  private endAtQuoteLine(fields: string[], quoteAt: number, limit: number, issue: CsvRecordIssue | undefined, breaks: number): boolean {
    if (!this.recoverUnclosedQuotes) return false;
    const s = this.s;
    let lineEnd = quoteAt + 1;
    while (lineEnd < limit && s.charCodeAt(lineEnd) !== LF && s.charCodeAt(lineEnd) !== CR) lineEnd++;
    if (lineEnd >= limit) return false;
    fields.push(s.slice(quoteAt + 1, lineEnd).replaceAll('""', '"'));
    this.finish(fields, issue ?? 'UNTERMINATED_QUOTE', lineEnd, breaks);
    return true;
  }

  private finish(fields: string[], issue: CsvRecordIssue | undefined, end: number, breaks: number): void {
    this.fields = fields;
    this.issue = issue;
    this.end = end;
    this.breaks = breaks;
  }

  /** First delimiter, LF or CR at or after p, or n. */
  private fieldEnd(p: number): number {
    const s = this.s;
    let d = this.nextDelim;
    if (d < p) {
      d = s.indexOf(this.delimiter, p);
      this.nextDelim = d = d === -1 ? this.n : d;
    }
    const e = this.lineEndFrom(p);
    return d < e ? d : e;
  }

  private lineEndFrom(p: number): number {
    let lf = this.nextLF;
    if (lf < p) {
      lf = this.s.indexOf('\n', p);
      this.nextLF = lf = lf === -1 ? this.n : lf;
    }
    let cr = this.nextCR;
    if (cr < p) {
      cr = this.s.indexOf('\r', p);
      this.nextCR = cr = cr === -1 ? this.n : cr;
    }
    return lf < cr ? lf : cr;
  }

  private quoteFrom(p: number): number {
    let q = this.nextQuote;
    if (q < p) {
      q = this.s.indexOf('"', p);
      this.nextQuote = q = q === -1 ? this.n : q;
    }
    return q;
  }

  /** Physical line breaks (LF, CRLF, lone CR) in [from, to). */
  private countBreaks(from: number, to: number): number {
    let count = 0;
    for (;;) {
      const b = this.lineEndFrom(from);
      if (b >= to) return count;
      count++;
      from = b === this.nextCR && this.s.charCodeAt(b + 1) === LF ? b + 2 : b + 1;
    }
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** UTF-8 length of s[from, to), as Buffer.byteLength would count it (lone surrogates: 3 bytes). */
function utf8Length(s: string, from: number, to: number): number {
  return Buffer.byteLength(from === 0 && to === s.length ? s : s.slice(from, to), 'utf8');
}

/** The largest cut with UTF-8 length of s[from, cut) <= maxBytes, never splitting a surrogate pair. */
function utf8Cut(s: string, from: number, maxBytes: number): number {
  let bytes = 0;
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let size = 1;
    let units = 1;
    if (c >= 0x800) {
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      size = pair ? 4 : 3;
      units = pair ? 2 : 1;
    } else if (c >= 0x80) size = 2;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i;
}

function countLineBreaks(s: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (i + 1 < to && s.charCodeAt(i + 1) === LF) i++;
    }
  }
  return count;
}
