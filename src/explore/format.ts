/**
 * Text helpers shared by the charts and the report: escaping (every value from a file is untrusted
 * text that ends up in HTML or SVG) and number formatting that reads well in a table or on an axis.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML and XML element content and quoted attribute values. */
export function escapeXml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A number for a table: thousands separators, `digits` significant digits, exponent when extreme; '–' for none. */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e15 || a < 1e-4)) return x.toExponential(Math.max(0, digits - 1));
  // Large values keep every integer digit: 4 significant digits would show an epoch-ms quantile
  // (1,614,180,779,623.5) as 1,614,000,000,000, below the column's minimum.
  if (Number.isInteger(x) || a >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 12 });
}

/** A short number for an axis tick: 1.5k, 20M, 3B; small values as they are. */
export function formatCompact(x: number): string {
  const a = Math.abs(x);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) if (a >= size) return `${Number((x / size).toPrecision(3))}${suffix}`;
  return String(Number(x.toPrecision(3)));
}

/** A share as a percentage: one decimal, two below 0.1%, '<0.01%' below that; '–' when the whole is zero. */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '–';
  const pct = (part / whole) * 100;
  // One row in 5,000 must not read as 0.0%: small shares get more digits.
  if (pct === 0 || pct >= 0.1) return `${pct.toFixed(1)}%`;
  return pct < 0.01 ? '<0.01%' : `${pct.toFixed(2)}%`;
}

/** 10^k as an axis label: 0.001, 0.01, 0.1, 1, 10, 100, 1k, ... */
export function formatPowerOfTen(k: number): string {
  if (k < 0) return (10 ** k).toPrecision(1);
  return formatCompact(10 ** k);
}
