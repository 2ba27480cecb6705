/**
 * The real Binance BRD/BTC file around its pump-and-dump (../shared/data/trades, never copied into
 * the project): with no history to train on, a model is fitted on the file itself for each feature
 * set, and the report says how its scores concentrate in the pump window (a weak label: 16:59-17:10Z
 * on 2021-02-24) and what the top anomalies are.
 *
 *   node --import tsx bench/binance-pump.ts
 */
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { windowConcentration } from '../src/evaluate/window-concentration.js';
import { DEFAULT_MODEL_FEATURES } from '../src/model/anomaly-model.js';
import { extractTrainingFeatures, trainOnFeatures } from '../src/model/train-model.js';
import { loadSchemaFile } from '../src/schema/schema-settings.js';
import { scoreFileInProcess } from '../src/scoring/score-file.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILE = path.resolve(ROOT, '../shared/data/trades/BRD_2021-02-24T1700.csv');
const WINDOW = { fromMs: Date.parse('2021-02-24T16:59:00Z'), toMs: Date.parse('2021-02-24T17:10:00Z') };

const FEATURE_SETS: Record<string, readonly string[]> = {
  default: DEFAULT_MODEL_FEATURES,
  '+symbol_burst': [...DEFAULT_MODEL_FEATURES, 'symbol_burst'],
  '+symbol_burst +trade_gap': [...DEFAULT_MODEL_FEATURES, 'symbol_burst', 'trade_gap'],
  'symbol_burst alone': ['symbol_burst'],
};

async function main(): Promise<void> {
  if (!existsSync(FILE)) {
    console.log(`skipped: ${FILE} is not here (shared test data beside the project)`);
    return;
  }
  const schema = await loadSchemaFile(path.join(ROOT, 'schemas/binance-spot-trades.yaml'));
  const open = () => createReadStream(FILE);
  const extracted = await extractTrainingFeatures([{ name: FILE, open }], { schema });
  console.log('| features | flagged (in window) | ROC-AUC | PR-AUC (base rate) | top 10 | top 100 | top 1000 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  let top: string[] = [];
  for (const [name, features] of Object.entries(FEATURE_SETS)) {
    const copy = { ...extracted, matrix: { ...extracted.matrix, values: Float64Array.from(extracted.matrix.values) } };
    const model = trainOnFeatures(copy, { features });
    const scored = await scoreFileInProcess(open(), FILE, model, schema);
    const c = windowConcentration(scored.rows, WINDOW);
    const flagged = scored.rows.filter((r) => r.isAnomaly);
    const flaggedIn = flagged.filter((r) => r.timestampMs! >= WINDOW.fromMs && r.timestampMs! < WINDOW.toMs).length;
    const cell = (k: number) => {
      const t = c.topK.find((x) => x.k === k);
      return t ? `${t.inWindow} (lift ${t.lift.toFixed(2)})` : 'n/a';
    };
    console.log(`| ${name} | ${flagged.length} (${flaggedIn}) | ${c.rocAuc.toFixed(3)} | ${c.averagePrecision.toFixed(3)} (${c.baseRate.toFixed(3)}) | ${cell(10)} | ${cell(100)} | ${cell(1000)} |`);
    if (name === 'default') {
      top = [...scored.rows]
        .sort((a, b) => (b.score ?? 0) - (a.score ?? 0))
        .slice(0, 10)
        .map((r) => `| ${new Date(r.timestampMs!).toISOString()} | ${r.side} | ${r.price} | ${r.quantity} | ${r.score?.toFixed(3)} | ${r.reasons || '(below threshold)'} |`);
    }
  }
  console.log('\nTop 10 trades by score (default features):\n');
  console.log('| time (UTC) | side | price (BTC) | quantity | score | reasons |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const line of top) console.log(line);
}

await main();
