/**
 * The stage config (cdk.json context.stages) as a specification: what each stage sets, and the
 * errors a bad config gets at synth, naming the stage and every bad field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { StageConfigError, loadStageConfig } from '../../../lib/stage-config.js';
import { TradeAnomalyStack } from '../../../lib/trade-anomaly-stack.js';
import { STAGES, cdkJson } from '../synth.js';

describe('stage config', () => {
  const stages = cdkJson.context.stages;
  const withDev = (change: (dev: Record<string, unknown>) => void) => {
    const dev = structuredClone(stages.dev) as Record<string, unknown>;
    change(dev);
    return { ...stages, dev };
  };

  it('reads a schema file named by the stage (JSON or YAML) into compact JSON for ingest', () => {
    const config = loadStageConfig(withDev((dev) => (dev.schemaFile = 'schemas/binance-spot-trades.yaml')), 'dev');
    expect(config.schemaFile).toBe('schemas/binance-spot-trades.yaml');
    const doc = JSON.parse(config.schemaJson!) as { columns: Record<string, string>; timestamp: { format: string } };
    expect(doc.columns.quantity).toBe('amount');
    expect(doc.timestamp.format).toBe('epoch_ms');
  });

  it.each([
    ['a missing schema file', 'schemas/nope.yaml', /schemaFile schemas\/nope.yaml: no such file/],
    ['a YAML list instead of a mapping', '- a\n- b\n', /a schema is a JSON or YAML mapping/],
    ['text that is not YAML', 'columns: [unclosed\n', /not valid JSON or YAML/],
    ['a schema too large for a Lambda environment', `quality:\n  knownSymbols: [${Array.from({ length: 600 }, (_, i) => `SYM${i}`).join(', ')}]\n`, /more than the 3000 a Lambda environment can hold/],
  ])('refuses %s', (_name, fileOrContent, message) => {
    let file = fileOrContent;
    if (!fileOrContent.startsWith('schemas/')) {
      const dir = mkdtempSync(path.join(tmpdir(), 'schema-'));
      file = path.join(dir, 'schema.yaml');
      writeFileSync(file, fileOrContent);
    }
    const attempt = () => loadStageConfig(withDev((dev) => (dev.schemaFile = file)), 'dev');
    expect(attempt).toThrow(StageConfigError);
    expect(attempt).toThrow(message);
  });

  it('passes the stage schema to ingest and train as TRADE_SCHEMA and its anomaly threshold to ingest as ANOMALY_THRESHOLD', () => {
    // Bundling is skipped for this synth: only the environment is under test.
    const app = new App({ context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] } });
    const config = loadStageConfig(
      withDev((dev) => {
        dev.schemaFile = 'schemas/binance-spot-trades.yaml';
        dev.anomalyThreshold = 0.62;
      }),
      'dev',
    );
    const stack = new TradeAnomalyStack(app, 'SchemaStack', { config });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const envOf = (fn: { node: { defaultChild?: unknown } }) =>
      functions[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment.Variables as Record<string, string>;
    const env = envOf(stack.pipeline.ingest.function);
    expect(JSON.parse(env.TRADE_SCHEMA)).toEqual(JSON.parse(config.schemaJson!));
    expect(env.ANOMALY_THRESHOLD).toBe('0.62');
    // Training files are read as the stage's daily files are; the threshold is the run's business, not training's.
    const train = envOf(stack.training.train.function);
    expect(JSON.parse(train.TRADE_SCHEMA)).toEqual(JSON.parse(config.schemaJson!));
    expect(train.ANOMALY_THRESHOLD).toBeUndefined();
  });

  it.each([0, 1, 1.5, '0.6'])('refuses the anomaly threshold %j (a score strictly between 0 and 1)', (value) => {
    expect(() => loadStageConfig(withDev((dev) => (dev.anomalyThreshold = value)), 'dev')).toThrow(/anomalyThreshold/);
  });

  it('warns of drift at PSI 0.25 unless the stage sets its own driftThreshold, passed to aggregate as DRIFT_THRESHOLD', () => {
    expect(loadStageConfig(stages, 'dev').driftThreshold).toBe(0.25);
    const config = loadStageConfig(withDev((dev) => (dev.driftThreshold = 0.4)), 'dev');
    expect(config.driftThreshold).toBe(0.4);

    // Bundling is skipped for this synth: only the environment is under test.
    const app = new App({ context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] } });
    const stack = new TradeAnomalyStack(app, 'DriftStack', { config });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const envOf = (fn: { node: { defaultChild?: unknown } }) =>
      functions[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment.Variables as Record<string, string>;
    expect(envOf(stack.pipeline.aggregate.function).DRIFT_THRESHOLD).toBe('0.4');
    // Only aggregate judges drift.
    expect(envOf(stack.pipeline.score.function).DRIFT_THRESHOLD).toBeUndefined();
  });

  it.each([0, -0.1, 10.5, '0.3', null])('refuses the drift threshold %j (a PSI greater than 0 and at most 10)', (value) => {
    const attempt = () => loadStageConfig(withDev((dev) => (dev.driftThreshold = value)), 'dev');
    expect(attempt).toThrow(StageConfigError);
    expect(attempt).toThrow(/driftThreshold must be a PSI greater than 0 and at most 10/);
  });

  it('accepts a drift threshold of exactly 10', () => {
    expect(loadStageConfig(withDev((dev) => (dev.driftThreshold = 10)), 'dev').driftThreshold).toBe(10);
  });

  it('loads every stage in cdk.json; what differs in prod is retained, versioned data, alarms on and a daily-file check', () => {
    const loaded = STAGES.map((stage) => loadStageConfig(stages, stage));
    expect(loaded.map((c) => [c.stage, c.retainData, c.versioned, c.alarms.enabled, c.dailyFile !== undefined])).toEqual([
      ['dev', false, false, false, false],
      ['staging', false, false, true, true],
      ['prod', true, true, true, true],
    ]);
    const prod = loaded[2]!;
    expect(prod.dailyFile).toEqual({ expectedBy: '07:00', timeZone: 'Europe/London', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], lookbackHours: 12 });
    expect(prod.opsEmails.length).toBeGreaterThan(0);
    expect(prod.severity).toEqual({ highScore: 0.8, mediumScore: 0.7, highBadRowShare: 0.01 });
    expect(prod.alerts).toEqual({ allClear: 'quiet' });
  });

  it.each([
    {
      problem: 'a bad email',
      stages: withDev((dev) => (dev.alertEmails = ['ops@example.com', 'not-an-email'])),
      expected: /stage "dev".*\n.*alertEmails\[1\] "not-an-email" is not an email address/,
    },
    {
      problem: 'a missing field',
      stages: withDev((dev) => delete dev.chunkRows),
      expected: /stage "dev".*\n.*chunkRows is missing/,
    },
    {
      problem: 'a missing nested field',
      stages: withDev((dev) => delete (dev.functions as Record<string, Record<string, unknown>>).score!.memoryMb),
      expected: /functions\.score\.memoryMb is missing/,
    },
    {
      problem: 'an out-of-range number',
      stages: withDev((dev) => (dev.mapConcurrency = 100)),
      expected: /mapConcurrency must be between 1 and 40, got 100/,
    },
    {
      problem: "a Distributed Map concurrency past an account's default Lambda concurrency",
      stages: withDev((dev) => (dev.distributedMapConcurrency = 5000)),
      expected: /distributedMapConcurrency must be between 1 and 1000, got 5000/,
    },
    {
      problem: 'a retention CloudWatch does not offer',
      stages: withDev((dev) => (dev.logRetentionDays = 10)),
      expected: /logRetentionDays must be one of 1, 3, 5, 7, .*got 10/,
    },
    {
      problem: 'a misspelt field',
      stages: withDev((dev) => (dev.chunkrows = 5)),
      expected: /chunkrows is not a known field/,
    },
    {
      problem: 'a string where a number belongs',
      stages: withDev((dev) => ((dev.scoreRetry as Record<string, unknown>).backoffRate = '2')),
      expected: /scoreRetry\.backoffRate must be a number, got "2"/,
    },
    {
      problem: 'a bad ops email',
      stages: withDev((dev) => (dev.opsEmails = ['oncall@example'])),
      expected: /opsEmails\[0\] "oncall@example" is not an email address/,
    },
    {
      problem: 'a missing severity level',
      stages: withDev((dev) => delete (dev.severity as Record<string, unknown>).highScore),
      expected: /severity\.highScore is missing/,
    },
    {
      problem: 'a severity share above 1',
      stages: withDev((dev) => ((dev.severity as Record<string, unknown>).highBadRowShare = 5)),
      expected: /severity\.highBadRowShare must be between 0\.000001 and 1, got 5/,
    },
    {
      problem: 'a medium severity level above the high one',
      stages: withDev((dev) => ((dev.severity as Record<string, unknown>).mediumScore = 0.9)),
      expected: /severity\.mediumScore \(0\.9\) must not be above severity\.highScore \(0\.8\)/,
    },
    {
      problem: 'an unknown all-clear mode',
      stages: withDev((dev) => (dev.alerts = { allClear: 'loud' })),
      expected: /alerts\.allClear must be one of "send", "quiet", "none", got "loud"/,
    },
    {
      problem: 'an alarm threshold of zero',
      stages: withDev((dev) => ((dev.alarms as Record<string, unknown>).lambdaErrors = 0)),
      expected: /alarms\.lambdaErrors must be between 1 and 10000, got 0/,
    },
    {
      problem: 'alarms on with nobody to tell',
      stages: withDev((dev) => ((dev.alarms as Record<string, unknown>).enabled = true)),
      expected: /opsEmails must name at least one address when alarms\.enabled is true/,
    },
    {
      problem: 'an expected time that is not HH:MM',
      stages: withDev((dev) => (dev.dailyFile = { expectedBy: '7am', timeZone: 'UTC', days: ['MON'], lookbackHours: 12 })),
      expected: /dailyFile\.expectedBy must be a time HH:MM \(24 h\), got "7am"/,
    },
    {
      problem: 'an unknown time zone',
      stages: withDev((dev) => (dev.dailyFile = { expectedBy: '07:00', timeZone: 'Europe/Londn', days: ['MON'], lookbackHours: 12 })),
      expected: /dailyFile\.timeZone must be an IANA time zone such as "Europe\/London" or "UTC", got "Europe\/Londn"/,
    },
    {
      problem: 'a day the scheduler does not know',
      stages: withDev((dev) => (dev.dailyFile = { expectedBy: '07:00', timeZone: 'UTC', days: ['MON', 'Tuesday'], lookbackHours: 12 })),
      expected: /dailyFile\.days\[1\] "Tuesday" is not one of MON, TUE, WED, THU, FRI, SAT, SUN/,
    },
    {
      problem: 'a lookback longer than a day',
      stages: withDev((dev) => (dev.dailyFile = { expectedBy: '07:00', timeZone: 'UTC', days: ['MON'], lookbackHours: 36 })),
      expected: /dailyFile\.lookbackHours must be between 1 and 24, got 36/,
    },
    {
      problem: 'a train function over Lambda\'s memory limit',
      stages: withDev((dev) => ((dev.functions as Record<string, unknown>).train = { memoryMb: 20_000, timeoutSeconds: 900 })),
      expected: /functions\.train\.memoryMb must be between 128 and 10240, got 20000/,
    },
    {
      problem: 'a train sizing without its timeout',
      stages: withDev((dev) => ((dev.functions as Record<string, unknown>).train = { memoryMb: 3008 })),
      expected: /functions\.train\.timeoutSeconds is missing/,
    },
    {
      problem: 'a function the stack does not have',
      stages: withDev((dev) => ((dev.functions as Record<string, unknown>).trainer = { memoryMb: 3008, timeoutSeconds: 900 })),
      expected: /functions\.trainer is not a known field \(allowed: ingest, score, aggregate, train\)/,
    },
  ])('rejects $problem with a message naming stage and field', ({ stages: bad, expected }) => {
    expect(() => loadStageConfig(bad, 'dev')).toThrow(StageConfigError);
    expect(() => loadStageConfig(bad, 'dev')).toThrow(expected);
  });

  it('reports every problem at once', () => {
    const bad = withDev((dev) => {
      dev.alertEmails = ['nope'];
      delete dev.versioned;
    });
    const error = (() => {
      try {
        loadStageConfig(bad, 'dev');
      } catch (e: unknown) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StageConfigError);
    expect((error as StageConfigError).problems).toEqual([
      'alertEmails[0] "nope" is not an email address',
      'versioned is missing',
    ]);
  });

  it('sizes the train function 3008 MB / 15 min unless the stage says otherwise', () => {
    expect(loadStageConfig(stages, 'dev').functions.train).toEqual({ memoryMb: 3008, timeoutSeconds: 900 });
    const sized = withDev((dev) => ((dev.functions as Record<string, unknown>).train = { memoryMb: 10_240, timeoutSeconds: 600 }));
    expect(loadStageConfig(sized, 'dev').functions.train).toEqual({ memoryMb: 10_240, timeoutSeconds: 600 });
  });

  it('names the known stages when the stage is unknown', () => {
    expect(() => loadStageConfig(stages, 'qa')).toThrow(
      'Unknown stage "qa": known stages are dev, staging, prod',
    );
  });

  it('refuses a prod that would lose data, hear no alarms or miss a late file', () => {
    const prod = structuredClone(stages.prod) as Record<string, unknown>;
    Object.assign(prod, { retainData: false, versioned: false });
    (prod.alarms as Record<string, unknown>).enabled = false;
    delete prod.dailyFile;
    expect(() => loadStageConfig({ ...stages, prod }, 'prod')).toThrow(
      /retainData must be true for prod[\s\S]*versioned must be true for prod[\s\S]*alarms\.enabled must be true for prod[\s\S]*dailyFile must be set for prod/,
    );
  });
});
