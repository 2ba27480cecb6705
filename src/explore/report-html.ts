import type { ColumnSummary } from './column-profile.js';
import { CORE_FEATURES, type ExploreSummary } from './explore-summary.js';
import { escapeXml as esc, formatNumber, formatPercent, formatPowerOfTen } from './format.js';
import type { HistogramSummary } from './histogram.js';
import { barChart, correlationHeatmap, histogramChart, timeOfDayChart, type Tick } from './svg-charts.js';
import { PAGE_CSS } from '../report/page-style.js';

/**
 * The exploratory report as one self-contained HTML page: inline CSS, charts as inline SVG, no
 * script, nothing fetched, so it opens from a mail attachment or a laptop without a network. Every
 * value that came from the file is escaped (a symbol may be `<script>`).
 */

/** Symbols listed in the report's table (summary.json holds them all, up to its own cap). */
export const REPORT_SYMBOLS = 50;
/** Symbols in the report's bar chart. */
const CHART_SYMBOLS = 20;

const BUY = '#2e7d32';
const SELL = '#c62828';
const UNKNOWN = '#9e9e9e';

const CSS = `
${PAGE_CSS}
span.note { color: #777; font-style: italic; }
.bad { color: #b71c1c; font-weight: 600; }
`;

function td(value: string, numeric = false): string {
  return `<td${numeric ? ' class="n"' : ''}>${value}</td>`;
}

function th(label: string, numeric = false): string {
  return `<th${numeric ? ' class="n"' : ''}>${esc(label)}</th>`;
}

/** Integer ticks (powers of ten) across a log10 histogram's range, thinned to at most ~8. */
function decadeTicks(h: HistogramSummary): Tick[] {
  if (h.counts.length === 0) return [];
  const from = Math.ceil(h.lo - 1e-9);
  const to = Math.floor(h.lo + h.counts.length * h.width + 1e-9);
  const every = Math.max(1, Math.ceil((to - from + 1) / 8));
  const ticks: Tick[] = [];
  for (let k = from; k <= to; k += every) ticks.push({ value: k, label: formatPowerOfTen(k) });
  return ticks;
}

function outside(h: HistogramSummary): string {
  return h.underflow + h.overflow > 0 ? ` ${formatNumber(h.underflow + h.overflow)} value(s) fell outside the chart's range.` : '';
}

function datesText(f: ExploreSummary['facts']): string {
  if (f.dates.length === 0) return '–';
  const shown = f.dates.slice(0, 6).map((d) => `${esc(d.date)} (${formatNumber(d.rows)} rows)`).join(', ');
  const more = f.distinctDates > 6 ? `, and ${f.distinctDatesExact ? '' : 'at least '}${formatNumber(f.distinctDates - 6)} more` : '';
  return `${f.distinctDatesExact ? '' : '≥ '}${formatNumber(f.distinctDates)}: ${shown}${more}`;
}

function factsSection(s: ExploreSummary): string {
  const f = s.facts;
  const rows: [string, string][] = [
    ['file', esc(f.file ?? '(not named)')],
    ['data rows', formatNumber(f.rows)],
    ['columns', `${f.columns}: ${f.header.map((h) => `<code>${esc(h)}</code>`).join(' ')}`],
    ['canonical fields present', f.canonicalPresent.map(esc).join(', ') || '–'],
    ['canonical fields absent', f.canonicalAbsent.length ? f.canonicalAbsent.map(esc).join(', ') : 'none'],
    ['extra columns', f.extraColumns.length ? f.extraColumns.map(esc).join(', ') : 'none'],
    ['time range (UTC)', f.timeRange ? `${esc(f.timeRange.first)} to ${esc(f.timeRange.last)} (${formatNumber(f.rowsWithTimestamp)} rows with a timestamp)` : 'no parsable timestamp'],
    ['dates (UTC)', datesText(f)],
    ['distinct symbols', `${f.distinctSymbolsExact ? '' : '≥ '}${formatNumber(f.distinctSymbols)}`],
    ['valid rows', `${formatNumber(f.validRows)} (${formatPercent(f.validRows, f.rows)})`],
    ['rows with data-quality findings', `<span class="${f.rowsWithFindings ? 'bad' : 'ok'}">${formatNumber(f.rowsWithFindings)}</span> (${formatPercent(f.rowsWithFindings, f.rows)})`],
  ];
  if (f.notProfiled.columns.length) rows.push(['columns not profiled', `${f.notProfiled.columns.map(esc).join(', ')}${f.notProfiled.reason ? `: ${esc(f.notProfiled.reason)}` : ''}`]);
  const notes = s.method.notes.map((n) => `<p class="note">Note: ${esc(n)}.</p>`).join('');
  return (
    `<section id="facts"><h2>File facts</h2><dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>` +
    `<p class="note">A valid row: ${esc(s.method.validRow)}. Prices, distributions and correlations are computed over valid rows.</p>${notes}</section>`
  );
}

function qualitySection(s: ExploreSummary): string {
  const q = s.quality;
  if (q.findings.length === 0) return `<section id="quality"><h2>Data-quality findings</h2><p class="ok">No data-quality findings: every row passed every rule.</p></section>`;
  const chart = barChart({
    title: 'Findings by rule',
    description: `${q.findings.length} rules broken; ${q.rowsWithFindings} rows with at least one finding`,
    bars: q.findings.map((f) => ({ label: f.code, value: f.count, color: '#b71c1c' })),
    valueLabel: 'findings',
    width: 760,
  });
  const table =
    `<table><thead><tr>${th('rule')}${th('what it checks')}${th('findings', true)}${th('share of rows', true)}</tr></thead><tbody>` +
    q.findings.map((f) => `<tr>${td(`<code>${esc(f.code)}</code>`)}${td(esc(f.description))}${td(formatNumber(f.count), true)}${td(formatPercent(f.count, s.facts.rows), true)}</tr>`).join('') +
    `</tbody></table>`;
  const examples =
    `<h3>First ${q.examples.length} findings in file order</h3><div class="scroll"><table><thead><tr>${th('source_row', true)}${th('rule')}${th('field')}${th('message')}</tr></thead><tbody>` +
    q.examples.map((e) => `<tr>${td(formatNumber(e.sourceRow), true)}${td(`<code>${esc(e.code)}</code>`)}${td(esc(e.field ?? ''))}${td(esc(e.message))}</tr>`).join('') +
    `</tbody></table></div>`;
  return `<section id="quality"><h2>Data-quality findings</h2><p>${formatNumber(q.rowsWithFindings)} of ${formatNumber(s.facts.rows)} rows (${formatPercent(q.rowsWithFindings, s.facts.rows)}) break at least one rule; a row may break several.</p>${chart}${table}${examples}</section>`;
}

function distinctText(c: ColumnSummary): string {
  return `${c.distinctExact ? '' : '≥ '}${formatNumber(c.distinct)}`;
}

/** The values that repeat, most frequent first; a column of unique values (trade_id) says so instead of listing five of them. */
function topValuesText(c: ColumnSummary): string {
  if (!c.distinctExact) return '<span class="note">too many distinct values to count repeats</span>';
  const repeated = c.topValues.filter((t) => t.count > 1);
  if (repeated.length === 0) return c.distinct > 0 ? '<span class="note">no value repeats</span>' : '';
  return repeated.map((t) => `<code>${esc(t.value)}</code> ${formatNumber(t.count)}`).join(', ');
}

function columnsSection(s: ExploreSummary): string {
  const cols = s.columns;
  const missingChart = barChart({
    title: 'Missing values by column',
    description: 'share of rows where the column is empty or absent',
    bars: cols.map((c) => ({ label: c.name, value: c.count ? (c.missing / c.count) * 100 : 0, color: c.missing ? '#e08a00' : '#9e9e9e' })),
    valueLabel: 'missing, % of rows',
    width: 760,
    formatValue: (v) => `${v.toFixed(2)}%`,
  });
  const overview =
    `<div class="scroll"><table><thead><tr>${th('column')}${th('canonical field')}${th('kind')}${th('values', true)}${th('missing', true)}${th('distinct', true)}${th('most common values')}</tr></thead><tbody>` +
    cols
      .map((c) => {
        const top = topValuesText(c);
        return `<tr>${td(`<b>${esc(c.name)}</b>`)}${td(esc(c.canonical ?? '–'))}${td(esc(c.kind))}${td(formatNumber(c.count - c.missing), true)}${td(`${formatNumber(c.missing)} (${formatPercent(c.missing, c.count)})`, true)}${td(distinctText(c), true)}${td(top)}</tr>`;
      })
      .join('') +
    `</tbody></table></div>`;
  const numeric = cols.filter((c) => c.numbers !== null);
  const qNames = ['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'] as const;
  const numbers = numeric.length
    ? `<h3>Numeric columns</h3><div class="scroll"><table><thead><tr>${th('column')}${th('numbers', true)}${th('min', true)}${qNames.map((q) => th(q, true)).join('')}${th('max', true)}${th('mean', true)}${th('std', true)}${th('quantiles')}</tr></thead><tbody>` +
      numeric
        .map((c) => {
          const n = c.numbers!;
          return `<tr>${td(`<b>${esc(c.name)}</b>`)}${td(formatNumber(n.count), true)}${td(formatNumber(n.min), true)}${qNames.map((q) => td(formatNumber(n.quantiles[q]), true)).join('')}${td(formatNumber(n.max), true)}${td(formatNumber(n.mean), true)}${td(formatNumber(n.std), true)}${td(n.quantilesExact ? 'exact' : `sampled (${formatNumber(n.quantileSample)})`)}</tr>`;
        })
        .join('') +
      `</tbody></table></div><p class="note">Over every value of the column that parses as a number, valid row or not. std is the sample standard deviation. Quantiles interpolate between closest ranks; exact up to ${formatNumber(s.method.reservoirSize)} numbers, above that from a seeded uniform sample of that size.</p>`
    : '<p class="note">No column is mostly numbers.</p>';
  return `<section id="columns"><h2>Columns</h2>${missingChart}${overview}${numbers}<p class="note">Distinct values are counted exactly up to ${formatNumber(s.method.distinctCap)} per column; "≥" marks a lower bound.</p></section>`;
}

/** A day's range beyond this share of VWAP is marked: liquid symbols move a few percent, a fat finger thousands. */
const WIDE_RANGE_PCT = 50;

function rangeText(pct: number | null): string {
  return pct !== null && pct > WIDE_RANGE_PCT ? `<span class="bad">${formatNumber(pct, 3)}</span>` : formatNumber(pct, 3);
}

function symbolsSection(s: ExploreSummary): string {
  const list = s.symbols.list;
  if (list.length === 0) return `<section id="symbols"><h2>Symbols</h2><p>No symbol in the file.</p></section>`;
  const chart = barChart({
    title: `Busiest ${Math.min(CHART_SYMBOLS, list.length)} symbols by trade count`,
    description: `${list.length} symbols in all`,
    bars: list.slice(0, CHART_SYMBOLS).map((x) => ({ label: x.symbol, value: x.trades })),
    valueLabel: 'trades (rows naming the symbol)',
    width: 760,
  });
  const shown = list.slice(0, REPORT_SYMBOLS);
  const table =
    `<div class="scroll"><table><thead><tr>${th('symbol')}${th('trades', true)}${th('valid', true)}${th('VWAP', true)}${th('min price', true)}${th('max price', true)}${th('range % of VWAP', true)}${th('spread proxy %', true)}${th('buys', true)}${th('sells', true)}${th('notional', true)}</tr></thead><tbody>` +
    shown
      .map(
        (x) =>
          `<tr>${td(`<b>${esc(x.symbol)}</b>`)}${td(formatNumber(x.trades), true)}${td(formatNumber(x.validTrades), true)}${td(formatNumber(x.vwap, 6), true)}${td(formatNumber(x.minPrice, 6), true)}${td(formatNumber(x.maxPrice, 6), true)}${td(rangeText(x.rangePct), true)}${td(formatNumber(x.spreadPct, 3), true)}${td(formatNumber(x.buys), true)}${td(formatNumber(x.sells), true)}${td(formatNumber(x.notional, 4), true)}</tr>`,
      )
      .join('') +
    `</tbody></table></div>`;
  const capped = s.symbols.capped ? ` Only the first ${formatNumber(s.symbols.tracked)} symbols are tracked; ${formatNumber(s.symbols.untrackedTrades)} rows of later symbols are not in these figures.` : '';
  return (
    `<section id="symbols"><h2>Symbols</h2>${chart}<h3>Top ${shown.length} of ${formatNumber(list.length)} symbols by trade count</h3>${table}` +
    `<p class="note">VWAP = sum(price × quantity) / sum(quantity) over valid rows; range = (max − min) / VWAP. ` +
    `The spread is a proxy, not a quoted bid-ask spread (the file has no quotes): the median of |price<sub>t</sub> − price<sub>t−1</sub>| / price<sub>t−1</sub> between consecutive valid trades of the symbol in file order (over a sample of at most ${formatNumber(s.method.spreadMovesKept)} moves per symbol). ` +
    `summary.json lists every symbol.${capped}</p></section>`
  );
}

function correlationSection(s: ExploreSummary): string {
  const c = s.correlation;
  const chart = correlationHeatmap({
    title: 'Correlation of the numeric features (Pearson r)',
    description: `${c.features.length} features over ${c.rows} valid rows`,
    labels: c.features,
    matrix: c.matrix,
  });
  const extras = c.features.length > CORE_FEATURES.length ? ` Extra numeric columns: ${c.features.slice(CORE_FEATURES.length).map(esc).join(', ')}.` : '';
  return (
    `<section id="correlation"><h2>Correlation</h2>${chart}` +
    `<p class="note">Over ${formatNumber(c.rows)} valid rows. notional = price × quantity; log_dev_vwap = ln(price / the symbol's VWAP over the whole file); hour_utc = time of day in hours, UTC. ` +
    `Pearson r measures linear association only, and a few extreme values (fat-finger prices) can dominate it.${extras}</p></section>`
  );
}

function distributionsSection(s: ExploreSummary): string {
  const d = s.distributions;
  const hist = (title: string, h: HistogramSummary, what: string, color: string) =>
    histogramChart({
      title,
      description: `${formatNumber(h.total)} valid rows, 10 bins per power of ten`,
      lo: h.lo,
      binWidth: h.width,
      counts: h.counts,
      xLabel: `${what} (log scale)`,
      yLabel: 'trades',
      xTicks: decadeTicks(h),
      color,
    });
  const sides = d.sides;
  const sideCharts =
    barChart({
      title: 'Buy / sell: trades',
      bars: [
        { label: 'buy', value: sides.buy.trades, color: BUY },
        { label: 'sell', value: sides.sell.trades, color: SELL },
        ...(sides.unknown.trades ? [{ label: 'unknown side', value: sides.unknown.trades, color: UNKNOWN }] : []),
      ],
      valueLabel: 'valid trades',
    }) +
    barChart({
      title: 'Buy / sell: notional',
      bars: [
        { label: 'buy', value: sides.buy.notional, color: BUY },
        { label: 'sell', value: sides.sell.notional, color: SELL },
        ...(sides.unknown.notional ? [{ label: 'unknown side', value: sides.unknown.notional, color: UNKNOWN }] : []),
      ],
      valueLabel: 'notional (price × quantity)',
      formatValue: (v) => formatNumber(v, 4),
    });
  return (
    `<section id="distributions"><h2>Distributions</h2><div class="grid">` +
    `<div>${hist('Price', d.log10Price, 'price', '#3b6ea5')}</div>` +
    `<div>${hist('Quantity', d.log10Quantity, 'quantity', '#6a4c93')}</div>` +
    `<div>${hist('Notional', d.log10Notional, 'notional = price × quantity', '#00838f')}</div>` +
    `<div>${sideCharts}</div></div>` +
    `<p class="note">Valid rows only. Bars are tenths of a power of ten wide: a lone bar far from the rest is a price or quantity out of line.${outside(d.log10Price)}${outside(d.log10Notional)}</p></section>`
  );
}

function timeOfDaySection(s: ExploreSummary): string {
  const t = s.timeOfDay;
  const series = [
    { name: 'buy', counts: t.buy, color: BUY },
    { name: 'sell', counts: t.sell, color: SELL },
    ...(t.unknown.some((c) => c > 0) ? [{ name: 'unknown side', counts: t.unknown, color: UNKNOWN }] : []),
  ];
  const chart = timeOfDayChart({
    title: `Trades by time of day (${t.binMinutes}-minute bins, UTC)`,
    description: 'valid trades, buys and sells stacked',
    binMinutes: t.binMinutes,
    series,
    yLabel: 'trades',
  });
  return `<section id="time-of-day"><h2>Time of day</h2>${chart}<p class="note">Valid rows, by the time of day of their timestamp in UTC, whatever the date. Trades outside the venue's session hours stand out as isolated bars.</p></section>`;
}

/** The whole report page for a summary. */
export function renderExploreReport(summary: ExploreSummary): string {
  // The file's own name in the title; its full path is in the facts.
  const name = summary.facts.file?.split(/[\\/]/).pop() || 'trade file';
  const f = summary.facts;
  const sections = [factsSection, qualitySection, columnsSection, symbolsSection, correlationSection, distributionsSection, timeOfDaySection].map((render) => render(summary)).join('\n');
  const nav = [
    ['facts', 'Facts'],
    ['quality', 'Quality'],
    ['columns', 'Columns'],
    ['symbols', 'Symbols'],
    ['correlation', 'Correlation'],
    ['distributions', 'Distributions'],
    ['time-of-day', 'Time of day'],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  const range = f.timeRange ? `${f.timeRange.first} to ${f.timeRange.last}` : 'no timestamps';
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    // Nothing may load from anywhere: the report is read offline and may hold any text from the file.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>${esc(`Explore: ${name}`)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>What is in ${esc(name)}, and what is wrong with it</h1><p>${formatNumber(f.rows)} rows · ${f.columns} columns · ${f.distinctSymbolsExact ? '' : '≥ '}${formatNumber(f.distinctSymbols)} symbols · ${esc(range)} · ${formatNumber(f.rowsWithFindings)} rows with data-quality findings</p></header>` +
    `<nav>${nav}</nav><main>\n${sections}\n</main></body></html>\n`
  );
}
