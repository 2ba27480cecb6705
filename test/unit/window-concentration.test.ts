import { describe, expect, it } from 'vitest';
import { windowConcentration } from '../../src/evaluate/window-concentration.js';

describe('windowConcentration', () => {
  const window = { fromMs: 100, toMs: 200 };

  it('gives the base rate, the top-k share and its lift over the base rate', () => {
    // 10 rows, 2 inside the window; the two highest scores are one inside, one outside.
    const rows = Array.from({ length: 10 }, (_, i) => ({ timestampMs: i < 2 ? 150 : 300 + i, score: [0.9, 0.1, 0.8, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3][i] }));

    const c = windowConcentration(rows, window, [1, 2, 10, 11]);

    expect(c.baseRate).toBeCloseTo(0.2, 12);
    expect(c.topK).toEqual([
      { k: 1, inWindow: 1, share: 1, lift: 5 },
      { k: 2, inWindow: 1, share: 0.5, lift: 2.5 },
      { k: 10, inWindow: 2, share: 0.2, lift: 1 },
    ]);
  });

  it('leaves out rows without a score or a time, and reads a window as [from, to)', () => {
    const rows = [
      { timestampMs: 100, score: 0.9 },
      { timestampMs: 200, score: 0.8 },
      { timestampMs: null, score: 0.99 },
      { timestampMs: 150, score: null },
    ];

    const c = windowConcentration(rows, window, [1]);

    expect(c.rows).toBe(2);
    expect(c.inWindow).toBe(1);
    expect(c.rocAuc).toBe(1);
  });

  it('gives ROC-AUC 0.5 and lift 1 for scores that ignore the window', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ timestampMs: i, score: 0.5 }));

    const c = windowConcentration(rows, { fromMs: 0, toMs: 25 }, [50]);

    expect(c.rocAuc).toBe(0.5);
    expect(c.topK[0].lift).toBeCloseTo(1, 1);
  });
});
