import { createReadStream } from 'node:fs';
import { readCsvBatches } from '../parse/csv-reader.js';

export class LabelFileError extends Error {
  override readonly name = 'LabelFileError';
}

/**
 * Reads a label file (source_row, anomaly_type; trade_id optional): the anomalous rows of a trade
 * file by their 1-based data-row number. Rows not listed are normal.
 */
export async function readLabels(file: string): Promise<Map<number, string>> {
  const labels = new Map<number, string>();
  let rowIndex = -1;
  let typeIndex = -1;
  let first = true;
  for await (const batch of readCsvBatches(createReadStream(file))) {
    for (const record of batch) {
      if (first) {
        first = false;
        const names = record.fields.map((f) => f.trim().toLowerCase());
        rowIndex = names.indexOf('source_row');
        typeIndex = names.indexOf('anomaly_type');
        if (rowIndex < 0) throw new LabelFileError(`${file}: header has no source_row column (found: ${names.join(', ')})`);
        continue;
      }
      const row = Number(record.fields[rowIndex]);
      if (!Number.isInteger(row) || row < 1) {
        throw new LabelFileError(`${file}: line ${record.line}, field source_row: '${record.fields[rowIndex] ?? ''}' is not a row number`);
      }
      labels.set(row, typeIndex >= 0 ? (record.fields[typeIndex] ?? '').trim() || 'anomaly' : 'anomaly');
    }
  }
  return labels;
}
