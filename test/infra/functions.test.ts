/**
 * The operational functions and the handlers' configuration: the failure alert built from a Step
 * Functions status-change event, the daily-file arrival check (its logic, and its handler against the
 * embedded S3 with the metric it publishes), the environment parsing, and the stage's severity levels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkArrivals, expectedAtOf, type StoredObject } from '../../src/operations/daily-file-arrival.js';
import { InvalidEnvironmentError, MissingEnvironmentError, integerEnv, requireEnv, severityFromEnv, thresholdFromEnv } from '../../functions/environment.js';
import { alertFailedExecution, inputFile, readableCause, type ExecutionDescription } from '../../src/operations/execution-failure.js';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { DEFAULT_SEVERITY, runSeverity } from '../../src/alerts/severity.js';

const EXECUTION_ARN = 'arn:aws:states:eu-west-2:123456789012:execution:PipelineStateMachine-abc:day-0123456789abcdef';
const INPUT = JSON.stringify({
  runId: 'day-0123456789abcdef',
  bucket: 'data-bucket',
  manifestKey: 'runs/day-0123456789abcdef/manifest.json',
  input: { bucket: 'data-bucket', key: 'incoming/day 1.csv' },
  chunks: [{ index: 0, key: 'runs/day-0123456789abcdef/chunks/00000.arrow', rows: 10 }],
});

describe('the failure alert of an unsuccessful execution', () => {
  const run = async (detail: { status: string; input?: string | null }, described: ExecutionDescription) => {
    const alerts: Alert[] = [];
    const describe = vi.fn(async () => described);
    const result = await alertFailedExecution(
      { executionArn: EXECUTION_ARN, name: 'day-0123456789abcdef', ...detail },
      { describe, listMapRuns: async () => [], findFailedChild: async () => undefined, alerts: { publish: async (a) => void alerts.push(a) }, stage: 'prod' },
    );
    return { alerts, result, describe };
  };

  it('names the run, the file, the readable cause and the redrive command, once', async () => {
    const lambdaCause = JSON.stringify({ errorType: 'ModelNotFoundError', errorMessage: 'model v7 not found at s3://b/models/v7/model.json', trace: ['at x', 'at y'] });
    const { alerts, result, describe } = await run({ status: 'FAILED', input: INPUT }, { error: 'ModelNotFoundError', cause: lambdaCause });

    expect(describe).toHaveBeenCalledWith(EXECUTION_ARN);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert!.subject).toBe('trade-anomaly prod: run failed [FAILED] day 1.csv');
    expect(alert!.attributes).toEqual({ stage: 'prod', severity: 'FAILED', file: 'day 1.csv' });
    expect(alert!.message).toContain('Run day-0123456789abcdef for s3://data-bucket/incoming/day 1.csv failed. Nothing is published under results/ unless the failure came after the result was complete');
    expect(alert!.message).toContain('FAILED: ModelNotFoundError: model v7 not found at s3://b/models/v7/model.json');
    expect(alert!.message).toContain(`aws stepfunctions redrive-execution --execution-arn ${EXECUTION_ARN}`);
    expect(alert!.message).not.toContain('at x');
    expect(result).toMatchObject({ runId: 'day-0123456789abcdef', file: 's3://data-bucket/incoming/day 1.csv' });
  });

  it('says a timed-out execution timed out', async () => {
    const { alerts } = await run({ status: 'TIMED_OUT', input: INPUT }, { error: 'States.Timeout', cause: 'The execution timed out' });
    expect(alerts[0]!.message).toContain('TIMED_OUT: States.Timeout: The execution timed out');
  });

  it('reads the input from DescribeExecution when the event left it out (too large for the event)', async () => {
    const { alerts } = await run({ status: 'ABORTED', input: null }, { input: INPUT });
    expect(alerts[0]!.message).toContain('for s3://data-bucket/incoming/day 1.csv');
    expect(alerts[0]!.message).toContain('ABORTED: no error was recorded');
  });

  it.each([
    ['no input', undefined, '(input not available)'],
    ['input that is not JSON', '{oops', '(input not readable)'],
    ['JSON without the input file', '{"runId":"r"}', '(input not readable)'],
  ])('still alerts for %s', (_name, input, expected) => {
    expect(inputFile(input)).toBe(expected);
  });

  it('keeps a long cause to 1,500 characters', () => {
    const cause = readableCause('Error', 'x'.repeat(5000));
    expect(cause).toHaveLength(1500);
    expect(cause.endsWith('...')).toBe(true);
  });
});

describe('the daily-file arrival check', () => {
  const at = (iso: string) => new Date(iso);
  async function* objects(list: StoredObject[]): AsyncIterable<StoredObject> {
    yield* list;
  }
  const expectedAt = at('2026-12-01T07:00:00Z');

  it('counts files that landed in the lookback window before the expected time, up to now', async () => {
    const check = await checkArrivals(
      objects([
        { key: 'incoming/yesterday.csv', lastModified: at('2026-11-30T08:00:00Z') },
        { key: 'incoming/', lastModified: at('2026-12-01T06:00:00Z') },
        { key: 'incoming/today.csv', lastModified: at('2026-12-01T06:30:00Z') },
        { key: 'incoming/just-now.csv', lastModified: at('2026-12-01T07:00:30Z') },
        { key: 'incoming/edge.csv', lastModified: at('2026-11-30T19:00:00Z') },
      ]),
      { expectedAt, now: at('2026-12-01T07:01:00Z'), lookbackHours: 12 },
    );
    expect(check.windowStart).toEqual(at('2026-11-30T19:00:00Z'));
    expect(check.windowEnd).toEqual(at('2026-12-01T07:01:00Z'));
    expect(check.arrived.map((o) => o.key)).toEqual(['incoming/edge.csv', 'incoming/today.csv', 'incoming/just-now.csv']);
  });

  it("finds none when only yesterday's file is there", async () => {
    const check = await checkArrivals(objects([{ key: 'incoming/yesterday.csv', lastModified: at('2026-11-30T06:55:00Z') }]), {
      expectedAt,
      now: expectedAt,
      lookbackHours: 12,
    });
    expect(check.arrived).toEqual([]);
  });

  it("takes the expected time from the schedule's event, else now", () => {
    const now = at('2026-12-01T07:00:05Z');
    expect(expectedAtOf({ expectedAt: '2026-12-01T07:00:00Z' }, now)).toEqual(expectedAt);
    expect(expectedAtOf({ expectedAt: 'soon' }, now)).toEqual(now);
    expect(expectedAtOf(undefined, now)).toEqual(now);
  });

  describe('handler, against the embedded S3', () => {
    let s3: EmbeddedS3;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'arrival-check-'));
      s3 = await EmbeddedS3.start(path.join(dir, 's3'));
      await s3.store().put('incoming/trades.csv', 'trade_id\n');
      Object.assign(process.env, { S3_ENDPOINT: s3.endpoint, BUCKET_NAME: s3.bucket, INCOMING_PREFIX: 'incoming/', LOOKBACK_HOURS: '1', STAGE: 'test', POWERTOOLS_METRICS_DISABLED: 'false' });
    });
    afterAll(async () => {
      await s3?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const context = { functionName: 'arrival-check', functionVersion: '1', invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:arrival-check', memoryLimitInMB: '256', awsRequestId: 'req', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

    /** Runs the handler and returns its result and the embedded-metric-format record it printed. */
    async function invoke(expectedAt: Date): Promise<{ result: { missing: boolean; arrived: string[] }; emf: Record<string, unknown> }> {
      const { handler } = await import('../../functions/arrival-check.js');
      const lines: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      try {
        const result = (await handler({ expectedAt: expectedAt.toISOString() }, context)) as { missing: boolean; arrived: string[] };
        const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(emf).toHaveLength(1);
        return { result, emf: emf[0]! };
      } finally {
        write.mockRestore();
      }
    }

    it('publishes DailyFileMissing 0 when a file landed in the window', async () => {
      const { result, emf } = await invoke(new Date());
      expect(result).toEqual({ missing: false, arrived: ['incoming/trades.csv'] });
      expect(emf).toMatchObject({ DailyFileMissing: 0, FilesArrived: 1, service: 'trade-anomaly', stage: 'test' });
      const directive = (emf._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }).CloudWatchMetrics[0]!;
      expect(directive.Namespace).toBe('TradeAnomaly');
      expect(directive.Dimensions).toEqual([['service', 'stage']]);
    });

    it('publishes DailyFileMissing 1 when none did', async () => {
      const { result, emf } = await invoke(new Date(Date.now() + 48 * 3_600_000));
      expect(result).toEqual({ missing: true, arrived: [] });
      expect(emf).toMatchObject({ DailyFileMissing: 1, FilesArrived: 0 });
    });
  });
});

describe("the functions' environment", () => {
  it("reads the stage's anomaly threshold when set, and leaves the model's otherwise", () => {
    expect(thresholdFromEnv({})).toBeUndefined();
    expect(thresholdFromEnv({ ANOMALY_THRESHOLD: '0.62' })).toBe(0.62);
    expect(() => thresholdFromEnv({ ANOMALY_THRESHOLD: 'high' })).toThrow(/ANOMALY_THRESHOLD must be a number in \(0, 1\]/);
  });

  it('keeps the default severity levels where the stage sets none, and reads the ones it sets', () => {
    expect(severityFromEnv(DEFAULT_SEVERITY, {})).toEqual({ highScore: 0.8, mediumScore: 0.7, highBadRowShare: 0.01 });
    expect(severityFromEnv(DEFAULT_SEVERITY, { SEVERITY_HIGH_SCORE: '0.85', SEVERITY_MEDIUM_SCORE: '0.75', SEVERITY_HIGH_BAD_ROW_SHARE: '0.05' })).toEqual({
      highScore: 0.85,
      mediumScore: 0.75,
      highBadRowShare: 0.05,
    });
    // A stage that lowers the high level below the default medium one brings the medium level down with it.
    expect(severityFromEnv(DEFAULT_SEVERITY, { SEVERITY_HIGH_SCORE: '0.65' }).mediumScore).toBe(0.65);
  });

  it.each([
    [{ SEVERITY_HIGH_SCORE: 'high' }, /SEVERITY_HIGH_SCORE must be a number in \(0, 1\], got "high"/],
    [{ SEVERITY_HIGH_BAD_ROW_SHARE: '2' }, /SEVERITY_HIGH_BAD_ROW_SHARE must be a number in \(0, 1\], got "2"/],
    [{ SEVERITY_HIGH_SCORE: '0.7', SEVERITY_MEDIUM_SCORE: '0.9' }, /mediumScore \(0\.9\) must not be above highScore \(0\.7\)/],
  ])('fails fast on a bad severity level %o', (env, message) => {
    expect(() => severityFromEnv(DEFAULT_SEVERITY, env)).toThrow(InvalidEnvironmentError);
    expect(() => severityFromEnv(DEFAULT_SEVERITY, env)).toThrow(message);
  });

  it('names the variable that is missing or not a whole number', () => {
    expect(() => requireEnv('TOPIC_ARN', {})).toThrow(MissingEnvironmentError);
    expect(() => requireEnv('TOPIC_ARN', {})).toThrow('environment variable TOPIC_ARN is not set');
    expect(() => integerEnv('CHUNK_ROWS', 1, { CHUNK_ROWS: '1.5' })).toThrow('CHUNK_ROWS must be a whole number >= 1, got "1.5"');
    expect(integerEnv('CHUNK_ROWS', 1, { CHUNK_ROWS: '20000' })).toBe(20000);
  });
});

describe("a run's severity, by the stage's levels", () => {
  const run = { anomalies: 3, maxScore: 0.75, badRows: 5, rows: 1000, threshold: 0.6 };

  it.each([
    ['CLEAR without anomalies', { ...run, anomalies: 0, maxScore: 0.99 }, DEFAULT_SEVERITY, 'CLEAR'],
    ['HIGH for a score at the high level', { ...run, maxScore: 0.8 }, DEFAULT_SEVERITY, 'HIGH'],
    ['MEDIUM for a score at the medium level', run, DEFAULT_SEVERITY, 'MEDIUM'],
    ['LOW when the stage sets both levels above the score', run, { highScore: 0.9, mediumScore: 0.8, highBadRowShare: 0.01 }, 'LOW'],
    ['HIGH when the bad-row share passes the stage level', { ...run, maxScore: 0.61 }, { highScore: 0.8, mediumScore: 0.7, highBadRowShare: 0.004 }, 'HIGH'],
    ['never HIGH below the model threshold', { ...run, maxScore: 0.65, threshold: 0.66 }, { highScore: 0.5, mediumScore: 0.5, highBadRowShare: 0.01 }, 'LOW'],
  ] as const)('%s', (_name, r, levels, expected) => {
    expect(runSeverity(r, levels)).toBe(expected);
  });
});
