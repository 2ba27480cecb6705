import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TradeFileScanner } from '../../pipeline/trade-file-scanner.js';
import { checkTrade } from '../../quality/trade-checks.js';
import { CANONICAL_FIELDS, type CanonicalField } from '../../schema/trade-schema.js';
import type { CliOutput } from '../cli-output.js';
import { ensureReadable, rejectSchemaOption } from './train-command.js';

export interface ExploreArgs {
  file: string;
  out: string;
  schema?: string;
}

interface NumericStats {
  count: number;
  min: number;
  max: number;
  mean: number;
}

/** A first look at a file: per-column counts, number ranges, symbols and data-quality findings (summary.json). */
export async function exploreCommand(args: ExploreArgs, out: CliOutput): Promise<object> {
  rejectSchemaOption(args.schema);
  await ensureReadable(args.file);
  const scanner = new TradeFileScanner(args.file);
  const missing: Partial<Record<CanonicalField, number>> = {};
  const numbers: Record<'price' | 'quantity', NumericStats> = {
    price: { count: 0, min: Infinity, max: -Infinity, mean: 0 },
    quantity: { count: 0, min: Infinity, max: -Infinity, mean: 0 },
  };
  const issues: Record<string, number> = {};
  const symbols = new Map<string, number>();
  let first: number | null = null;
  let last: number | null = null;
  for await (const batch of scanner.scan(createReadStream(args.file))) {
    for (const row of batch) {
      const t = checkTrade(row, []);
      for (const f of scanner.layout!.present) if ((row.fields[f] ?? '').trim() === '') missing[f] = (missing[f] ?? 0) + 1;
      for (const i of t.issues) issues[i.code] = (issues[i.code] ?? 0) + 1;
      for (const [name, v] of [['price', t.price], ['quantity', t.quantity]] as const) {
        if (v === null) continue;
        const s = numbers[name];
        s.count++;
        s.min = Math.min(s.min, v);
        s.max = Math.max(s.max, v);
        s.mean += (v - s.mean) / s.count;
      }
      if (t.symbol) symbols.set(t.symbol, (symbols.get(t.symbol) ?? 0) + 1);
      if (t.timestampMs !== null) {
        first = first === null ? t.timestampMs : Math.min(first, t.timestampMs);
        last = last === null ? t.timestampMs : Math.max(last, t.timestampMs);
      }
    }
  }
  const summary = {
    file: args.file,
    rows: scanner.rows,
    columns: scanner.layout!.header,
    canonicalFieldsPresent: scanner.layout!.present,
    canonicalFieldsAbsent: CANONICAL_FIELDS.filter((f) => !scanner.layout!.present.includes(f)),
    missingByField: missing,
    numbers,
    timeRange: { first: first === null ? null : new Date(first).toISOString(), last: last === null ? null : new Date(last).toISOString() },
    symbols: { distinct: symbols.size, busiest: [...symbols].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([symbol, trades]) => ({ symbol, trades })) },
    qualityIssues: issues,
  };
  await mkdir(args.out, { recursive: true });
  const file = path.join(args.out, 'summary.json');
  await writeFile(file, JSON.stringify(summary, null, 2));
  out.say(`${args.file}: ${summary.rows} rows, ${symbols.size} symbols, ${first === null ? 'no valid timestamps' : `${summary.timeRange.first} to ${summary.timeRange.last}`}`);
  out.say(`data-quality findings: ${Object.entries(issues).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  out.say(`wrote ${file}`);
  out.result(summary);
  return summary;
}
