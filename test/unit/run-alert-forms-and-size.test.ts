import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { SnsAlertSink } from '../../src/adapters/sns-alert-sink.js';
import { RUN_ALERT_FORMAT, allClearAlert, runAlert, runAlertFor } from '../../src/alerts/run-alerts.js';
import { DEFAULT_SEVERITY, rowSeverity, runSeverity } from '../../src/alerts/severity.js';
import { ALERT_MAX_BYTES, SNS_MAX_PUBLISH_BYTES, publishBytes, snsPublishFields } from '../../src/alerts/sns-message.js';
import type { RunSummary, TopAnomaly } from '../../src/steps/run-summary.js';
import { emptyBreakdown, PROD_DAY_RUN, reportFields } from '../support/run-summary-fixture.js';

/**
 * The run alert as subscribers get it: the subject, the text for people, the JSON for programs (SNS's
 * per-protocol message structure), the attributes subscriptions filter on, within SNS's 256 KiB, and
 * what a clean day publishes by the stage's all-clear mode.
 */

function anomaly(row: number, score: number, reasons = `price ${row} is 10x the symbol's median`): TopAnomaly {
  return { sourceRow: row, tradeId: `T-${row}`, symbol: 'ACME', timestamp: '2026-03-02T10:05:00.000Z', side: 'BUY', quantity: 300, price: 1012.5, score, reasons, qualityIssues: [] };
}

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  const base = {
    ...PROD_DAY_RUN,
    rows: 150_000,
    badRows: 4,
    scored: 149_996,
    anomalies: 40,
    modelAnomalies: 36,
    severity: 'HIGH' as const,
    byReason: { 'model:price_deviation': 30, 'model:quantity_deviation': 6, MISSING_FIELD: 4 },
    topAnomalies: Array.from({ length: 10 }, (_, i) => anomaly(100 + i, 0.99 - i * 0.03)),
    qualityExamples: [{ ...anomaly(7, 0.5, 'side is missing'), side: null, score: null, qualityIssues: ['MISSING_FIELD'] }],
    drift: { threshold: 0.25, rows: 149_996, features: [], warnings: [] },
  };
  const full: RunSummary = { ...base, ...reportFields(base) };
  full.breakdown = emptyBreakdown({ bySeverity: { HIGH: 7, MEDIUM: 20, LOW: 13 }, qualityByRule: { MISSING_FIELD: 4 } });
  return { ...full, ...overrides };
}

const clean = (overrides: Partial<RunSummary> = {}) =>
  summary({ anomalies: 0, modelAnomalies: 0, badRows: 0, severity: 'CLEAR', byReason: {}, topAnomalies: [], qualityExamples: [], open: { anomalies: 0, modelAnomalies: 0, badRows: 0 }, ...overrides });

describe('the run alert for people', () => {
  it('puts stage, anomaly count, severity and file in a subject of at most 99 ASCII characters', () => {
    const alert = runAlert(summary());

    expect(alert.subject).toBe('trade-anomaly prod: 40 anomalies [HIGH] in day.csv');
    const long = runAlert(summary({ input: { bucket: 'b', key: `incoming/${'séance-'.repeat(30)}.csv` } }));
    expect(long.subject.length).toBeLessThanOrEqual(99);
    expect(long.subject).toMatch(/^trade-anomaly prod: 40 anomalies \[HIGH\] in s.ance-/);
  });

  it('counts the anomalies by severity and by reason, and says what each level means in this stage', () => {
    const { message } = runAlert(summary());

    expect(message).toContain('By severity: HIGH 7   MEDIUM 20   LOW 13');
    expect(message).toContain('HIGH: a model score >= 0.8 or more than 1.0% of rows breaking rules; MEDIUM: a score >= 0.7');
    expect(message).toContain('  model:price_deviation: 30');
    expect(message).toContain('Data quality: 4 rows (<0.01%) break at least one rule: MISSING_FIELD 4');
  });

  it('lists each top anomaly with its severity, trade, symbol, time, side, price, quantity, score and reason', () => {
    const { message } = runAlert(summary());

    expect(message).toContain("  HIGH   row 100  T-100  ACME  2026-03-02T10:05:00.000Z  BUY  qty 300 @ 1012.5  score 0.99\n    why: price 100 is 10x the symbol's median");
    // 0.99 - 9 * 0.03 = 0.72: MEDIUM by the default levels.
    expect(message).toContain('  MEDIUM row 109');
    expect(message).toContain('Top anomalies by model score (10 shown, 26 more flagged by the model are in the report and the result)');
  });

  it('says where the result and the report are, with console links when the region is known', () => {
    const links = { result: 'https://eu-west-2.console.aws.amazon.com/s3/object/trades-prod?prefix=results', report: 'https://eu-west-2.console.aws.amazon.com/s3/object/trades-prod?prefix=reports' };

    const { message } = runAlert(summary({ consoleLinks: links }));

    expect(message).toContain('Result (Parquet): s3://trades-prod/results/date=2026-03-02/day.parquet\n  in the console: ' + links.result);
    expect(message).toContain('Report: s3://trades-prod/reports/date=2026-03-02/day/report.html\n  in the console: ' + links.report);
    expect(runAlert(summary()).message).not.toContain('in the console');
  });

  it('carries stage, severity and file as message attributes', () => {
    expect(runAlert(summary({ severity: 'MEDIUM' })).attributes).toEqual({ stage: 'prod', severity: 'MEDIUM', file: 'day.csv' });
  });
});

describe('the JSON form for machine subscribers', () => {
  it('is published with the per-protocol message structure: text for email, JSON for SQS, Lambda and HTTPS', () => {
    const alert = runAlert(summary());

    const fields = snsPublishFields(alert);

    expect(fields.MessageStructure).toBe('json');
    const perProtocol = JSON.parse(fields.Message) as Record<string, string>;
    expect(perProtocol.default).toBe(alert.message);
    expect(perProtocol.email).toBe(alert.message);
    expect(perProtocol.sms).toBe(alert.subject);
    for (const protocol of ['sqs', 'lambda', 'http', 'https', 'email-json']) expect(JSON.parse(perProtocol[protocol])).toEqual(alert.json);
    expect(fields.MessageAttributes.severity).toEqual({ DataType: 'String', StringValue: 'HIGH' });
  });

  it('holds the same facts as the text, as fields', () => {
    const json = runAlert(summary()).json!;

    expect(json).toMatchObject({
      format: RUN_ALERT_FORMAT,
      kind: 'run',
      stage: 'prod',
      severity: 'HIGH',
      file: 'day.csv',
      anomalies: 40,
      bySeverity: { HIGH: 7, MEDIUM: 20, LOW: 13 },
      byReason: { MISSING_FIELD: 4 },
      topAnomaliesLeftOut: 26,
      report: 's3://trades-prod/reports/date=2026-03-02/day/report.html',
    });
    expect((json.topAnomalies as unknown[])[0]).toEqual({
      sourceRow: 100, tradeId: 'T-100', symbol: 'ACME', timestamp: '2026-03-02T10:05:00.000Z', side: 'BUY',
      price: 1012.5, quantity: 300, score: 0.99, severity: 'HIGH', reasons: "price 100 is 10x the symbol's median", qualityIssues: [],
    });
  });

  it('goes out through SNS as one Publish with the structure and the attributes', async () => {
    const sent: PublishCommand[] = [];
    const client = { send: async (command: PublishCommand) => void sent.push(command) } as unknown as SNSClient;
    const alert = runAlert(summary());

    await new SnsAlertSink(client, 'arn:aws:sns:eu-west-2:123456789012:alerts').publish(alert);

    expect(sent).toHaveLength(1);
    expect(sent[0].input).toEqual({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:alerts', ...snsPublishFields(alert) });
  });
});

describe('the 256 KiB SNS limit', () => {
  it('counts subject, the message as sent and the attributes', () => {
    const alert = runAlert(summary());
    const fields = snsPublishFields(alert);

    expect(publishBytes(alert)).toBe(
      Buffer.byteLength(alert.subject) + Buffer.byteLength(fields.Message) + Object.entries(alert.attributes).reduce((n, [k, v]) => n + k.length + 'String'.length + Buffer.byteLength(v), 0),
    );
    expect(ALERT_MAX_BYTES).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
  });

  it('cuts the lists from the end to fit, saying how many were left out, and keeps the worst', () => {
    const full = runAlert(summary());
    const budget = Math.floor(publishBytes(full) * 0.6);

    const cut = runAlert(summary(), budget);

    expect(publishBytes(cut)).toBeLessThanOrEqual(budget);
    const shown = (cut.json!.topAnomalies as unknown[]).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(10);
    expect(cut.json!.qualityExamples).toEqual([]);
    expect(cut.json!.topAnomaliesLeftOut).toBe(36 - shown);
    expect(cut.message).toContain(`(${shown} shown, ${36 - shown} more flagged by the model are in the report and the result)`);
    expect(cut.message).toContain('row 100  T-100');
  });

  it('stays under the limit whatever the file holds: huge reasons, ids and symbols, many unreadable feedback files', () => {
    const huge = 'x'.repeat(200_000);
    const top = Array.from({ length: 10 }, (_, i) => ({ ...anomaly(i, 0.9, huge), tradeId: huge, symbol: huge }));
    const errors = Array.from({ length: 500 }, (_, i) => ({ file: `feedback/${i}-${huge.slice(0, 2000)}.csv`, message: huge }));

    const alert = runAlert(summary({ topAnomalies: top, qualityExamples: top, feedback: { files: [], falsePositivesSuppressed: 0, confirmed: 0, errors } }));

    expect(publishBytes(alert)).toBeLessThanOrEqual(ALERT_MAX_BYTES);
    expect(alert.message).toContain('and 490 more feedback files could not be read');
    expect((alert.json!.topAnomalies as unknown[]).length).toBe(10);
  });
});

describe('a clean day, by the stage\'s all-clear mode', () => {
  it('send: the full alert', () => {
    const alert = runAlertFor(clean(), 'send')!;

    expect(alert.subject).toBe('trade-anomaly prod: 0 anomalies [CLEAR] in day.csv');
    expect(alert.message).toContain('By reason:\n  none');
    expect(alert.json!.kind).toBe('run');
  });

  it('quiet: a short all-clear summary with the counts and where things are', () => {
    const alert = runAlertFor(clean(), 'quiet')!;

    expect(alert).toEqual(allClearAlert(clean()));
    expect(alert.subject).toBe('trade-anomaly prod: 0 anomalies [CLEAR] in day.csv');
    expect(alert.message.split('\n')[0]).toBe('All clear: no anomalies in day.csv (150000 rows, 149996 scored by the model, 0 breaking data-quality rules).');
    expect(alert.message).toContain('Report: s3://trades-prod/reports/date=2026-03-02/day/report.html');
    expect(alert.message).not.toContain('By reason');
    expect(alert.json).toMatchObject({ kind: 'all-clear', severity: 'CLEAR', topAnomalies: [] });
    expect(alert.attributes.severity).toBe('CLEAR');
  });

  it('none: nothing, unless drift or unreadable feedback needs a look', () => {
    expect(runAlertFor(clean(), 'none')).toBeUndefined();

    const drifted = runAlertFor(clean({ drift: { threshold: 0.25, rows: 1000, features: [], warnings: ['price_deviation has drifted'] } }), 'none');
    expect(drifted?.message).toContain('  price_deviation has drifted');
    expect(drifted?.json?.kind).toBe('all-clear');
  });

  it('a day whose only anomalies are known false positives is clean too', () => {
    // As aggregate writes it: the known false positives are left out of the open rows and the severity.
    const onlyKnown = clean({ anomalies: 3, modelAnomalies: 3, feedback: { files: ['feedback/a.csv'], falsePositivesSuppressed: 3, confirmed: 0, errors: [] } });

    const alert = runAlertFor(onlyKnown, 'quiet')!;

    expect(alert.subject).toBe('trade-anomaly prod: 0 anomalies (+3 known false positives) [CLEAR] in day.csv');
    expect(alert.message).toContain('3 rows were flagged but analysts had marked them as known false positives');
  });

  it('never changes the alert of a day with anomalies', () => {
    for (const mode of ['send', 'quiet', 'none'] as const) expect(runAlertFor(summary(), mode)).toEqual(runAlert(summary()));
  });
});

describe('severity levels', () => {
  it.each([
    [0.95, 'HIGH'],
    [0.8, 'HIGH'],
    [0.75, 'MEDIUM'],
    [0.69, 'LOW'],
    [null, 'LOW'],
  ] as const)('a flagged row scoring %s is %s by the default levels', (score, level) => {
    expect(rowSeverity(score, 0.68, DEFAULT_SEVERITY)).toBe(level);
  });

  it('takes the level of the worst row, or HIGH for a suspect file', () => {
    const run = { anomalies: 5, maxScore: 0.72, badRows: 1, rows: 1000, threshold: 0.68 };

    expect(runSeverity(run, DEFAULT_SEVERITY)).toBe('MEDIUM');
    expect(runSeverity({ ...run, badRows: 11 }, DEFAULT_SEVERITY)).toBe('HIGH');
    expect(runSeverity({ ...run, anomalies: 0 }, DEFAULT_SEVERITY)).toBe('CLEAR');
  });
});
