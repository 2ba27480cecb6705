/**
 * Monitoring as a specification: which alarms each stage has, what they watch and whom they tell,
 * the daily-file arrival check, the dashboard, and that the functions publish the metrics the alarms
 * and the dashboard read.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE as LIB_NAMESPACE, METRICS_SERVICE as LIB_SERVICE, PIPELINE_METRICS } from '../../../lib/constructs/monitoring.js';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../../functions/metric-names.js';
import { STAGES, flatten, synthesizeAll, type StageName, type Synthesized } from '../synth.js';

let synthesized: Map<StageName, Synthesized>;
beforeAll(() => {
  synthesized = synthesizeAll();
});
const get = (stage: StageName): Synthesized => synthesized.get(stage)!;

interface AlarmProps {
  MetricName?: string;
  Namespace?: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Statistic?: string;
  Period?: number;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  ActionsEnabled: boolean;
  AlarmActions: unknown[];
  Metrics?: Array<{ Expression?: string; Id: string; MetricStat?: { Metric: { MetricName: string } } }>;
  AlarmDescription: string;
}

function alarms(s: Synthesized): AlarmProps[] {
  return Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as AlarmProps);
}

/** An alarm by what it watches: `Namespace/MetricName@dimension-or-ref`, or the math expression. */
function watched(a: AlarmProps): string {
  if (a.Metrics) return a.Metrics.find((m) => m.Expression)!.Expression!;
  const dims = (a.Dimensions ?? []).map((d) => `${d.Name}=${flatten(d.Value)}`).join(',');
  return `${a.Namespace}/${a.MetricName}@${dims}`;
}

describe('metric names', () => {
  it('are the same in the functions that publish them and in the alarms and dashboard that read them', () => {
    expect(LIB_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(LIB_SERVICE).toBe(METRICS_SERVICE);
    expect(PIPELINE_METRICS).toEqual(METRIC);
  });
});

describe.each(STAGES)('monitoring of %s', (stage) => {
  it('alarms on failed or timed-out runs, dead letters, and errors and throttles of every function', () => {
    const s = get(stage);
    const { ids, config } = s;
    const functions = [ids.ingest, ids.score, ids.aggregate, ids.runFailed, ids.train, ...(ids.arrivalCheck ? [ids.arrivalCheck] : [])];
    const expected = [
      'FILL(failed, 0) + FILL(timedOut, 0)',
      `AWS/SQS/ApproximateNumberOfMessagesVisible@QueueName=GETATT(${ids.deadLetterQueue}.QueueName)`,
      ...functions.flatMap((fn) => [`AWS/Lambda/Errors@FunctionName=REF(${fn})`, `AWS/Lambda/Throttles@FunctionName=REF(${fn})`]),
      ...(config.dailyFile ? [`TradeAnomaly/DailyFileMissing@service=trade-anomaly,stage=${stage}`] : []),
    ];
    expect(alarms(s).map(watched).sort()).toEqual(expected.sort());

    const threshold = (w: string) => alarms(s).find((a) => watched(a) === w)!.Threshold;
    expect(threshold('FILL(failed, 0) + FILL(timedOut, 0)')).toBe(config.alarms.failedExecutions);
    expect(threshold(`AWS/Lambda/Errors@FunctionName=REF(${ids.score})`)).toBe(config.alarms.lambdaErrors);
    expect(threshold(`AWS/Lambda/Throttles@FunctionName=REF(${ids.ingest})`)).toBe(config.alarms.lambdaThrottles);
    expect(threshold(`AWS/Lambda/Errors@FunctionName=REF(${ids.train})`)).toBe(config.alarms.lambdaErrors);
    expect(threshold(`AWS/SQS/ApproximateNumberOfMessagesVisible@QueueName=GETATT(${ids.deadLetterQueue}.QueueName)`)).toBe(
      config.alarms.deadLetterMessages,
    );
  });

  it('counts failed and timed-out executions of this state machine in the runs alarm', () => {
    const s = get(stage);
    const runs = alarms(s).find((a) => a.Metrics !== undefined)!;
    const metrics = runs.Metrics!.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.MetricName).sort();
    expect(metrics).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(JSON.stringify(runs.Metrics)).toContain(`"Ref":"${s.ids.stateMachine}"`);
  });

  it(`tells the ops topic, with actions ${stage === 'dev' ? 'off (dev)' : 'on'}; one period, missing data is not breaching`, () => {
    const s = get(stage);
    for (const alarm of alarms(s)) {
      expect(alarm).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: s.config.alarms.enabled,
        AlarmActions: [{ Ref: s.ids.opsTopic }],
      });
      expect(alarm.AlarmDescription).toMatch(new RegExp(`^trade-anomaly ${stage}: `));
      if (!alarm.Metrics) expect(alarm.Period).toBe(s.config.alarms.periodMinutes * 60);
    }
  });

  if (stage === 'dev') {
    it('has no daily-file check (dev gets files on demand)', () => {
      const { template } = get(stage);
      template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    });
  } else {
    it("checks at the expected time, in the stage's time zone on the expected days, whether the day's file arrived", () => {
      const s = get(stage);
      const daily = s.config.dailyFile!;
      const [hour, minute] = daily.expectedBy.split(':').map(Number);
      s.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: `cron(${minute} ${hour} ? * ${daily.days.join(',')} *)`,
        ScheduleExpressionTimezone: daily.timeZone,
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [s.ids.arrivalCheck, 'Arn'] },
          // The schedule's own time, so a delayed invocation still checks the right window.
          Input: JSON.stringify({ expectedAt: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: { MaximumRetryAttempts: 3 },
        },
      });
      const env = s.template.findResources('AWS::Lambda::Function')[s.ids.arrivalCheck!]?.Properties.Environment.Variables;
      expect(env).toMatchObject({ BUCKET_NAME: { Ref: s.ids.bucket }, INCOMING_PREFIX: 'incoming/', LOOKBACK_HOURS: String(daily.lookbackHours) });
    });

    it('lets the arrival check list incoming/ and nothing else', () => {
      const s = get(stage);
      const policies = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
        (p.Properties.Roles as unknown[]).some((r) => flatten(r) === `REF(${s.ids.arrivalCheckRole})`),
      );
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown; Condition?: unknown }>);
      const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('s3:'));
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [s.ids.bucket, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
        },
      ]);
    });

    it('raises the daily-file alarm on DailyFileMissing >= 1, describing the window', () => {
      const s = get(stage);
      const alarm = alarms(s).find((a) => a.MetricName === 'DailyFileMissing')!;
      expect(alarm).toMatchObject({ Namespace: 'TradeAnomaly', Statistic: 'Maximum', Threshold: 1 });
      expect(alarm.AlarmDescription).toContain(`${s.config.dailyFile!.lookbackHours} h before ${s.config.dailyFile!.expectedBy} ${s.config.dailyFile!.timeZone}`);
    });
  }

  it('has a dashboard of the pipeline: alarms, runs, files, rows and anomalies, chunk time, dead letters, functions, latest runs', () => {
    const s = get(stage);
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = flatten(Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    const dashboard = JSON.parse(body) as { widgets: Array<{ type: string; properties: { title?: string; alarms?: unknown[]; metrics?: unknown[][] } }> };
    const titles = dashboard.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Alarms',
      'Runs (executions per hour)',
      'Files',
      'Rows, bad rows and anomalies per run',
      'Chunk scoring time (ms)',
      'Run duration, file landed to result (ms)',
      'Dead-letter queue (messages)',
      'Lambda errors and throttles',
      'Lambda duration p95 (ms)',
      'Latest runs',
    ]);
    expect(dashboard.widgets.find((w) => w.properties.title === 'Alarms')!.properties.alarms).toHaveLength(alarms(s).length);
    for (const name of [METRIC.runRows, METRIC.runAnomalies, METRIC.runBadRows, METRIC.chunkDuration, METRIC.filesRejected]) {
      expect(body).toContain(`"TradeAnomaly","${name}","service","trade-anomaly","stage","${stage}"`);
    }
  });

  it('outputs a link to the dashboard', () => {
    get(stage).template.hasOutput('DashboardUrl', { Value: Match.anyValue() });
  });
});
