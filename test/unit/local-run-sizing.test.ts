import { describe, expect, it } from 'vitest';
import { estimatedChunks } from '../../src/local/local-run.js';

describe('how many score workers a local run starts', () => {
  it('is bounded by the chunks the file can make: one for a small file, more for a large one', () => {
    expect(estimatedChunks('day.csv', 20_000, 50_000)).toBe(1);
    // 150,000 rows of ~90 bytes: at most ~7 chunks of 50,000 at 40 bytes a row (3 in fact).
    expect(estimatedChunks('day.csv', 13_500_000, 50_000)).toBe(7);
    expect(estimatedChunks('day.csv', 0, 50_000)).toBe(1);
  });

  it('counts a gzip file as ~8 bytes a row, so compression does not starve it of workers', () => {
    expect(estimatedChunks('day.csv.gz', 2_000_000, 50_000)).toBe(5);
  });
});
