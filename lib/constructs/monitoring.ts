import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, arnToken } from '../nag.js';
import type { DailyFileConfig, StageConfig } from '../stage-config.js';
import { PipelineFunction } from './pipeline-function.js';
import type { Pipeline } from './pipeline.js';
import { PREFIXES, type Storage } from './storage.js';
import type { Training } from './training.js';

/**
 * The custom metrics the functions publish (functions/metric-names.ts: lib/ does not import runtime
 * code, so the names are repeated here and a test checks both lists agree).
 */
export const METRICS_NAMESPACE = 'TradeAnomaly';
export const METRICS_SERVICE = 'trade-anomaly';
export const PIPELINE_METRICS = {
  filesStarted: 'FilesStarted',
  filesDuplicate: 'FilesDuplicate',
  filesRejected: 'FilesRejected',
  filesIgnored: 'FilesIgnored',
  ingestedRows: 'IngestedRows',
  ingestedChunks: 'IngestedChunks',
  chunkRows: 'ChunkRows',
  chunkBadRows: 'ChunkBadRows',
  chunkAnomalies: 'ChunkAnomalies',
  chunkDuration: 'ChunkDurationMs',
  runRows: 'RunRows',
  runBadRows: 'RunBadRows',
  runAnomalies: 'RunAnomalies',
  runDuration: 'RunDurationMs',
  runFailureAlerts: 'RunFailureAlerts',
  dailyFileMissing: 'DailyFileMissing',
  filesArrived: 'FilesArrived',
} as const;

/** The arrival check lists one prefix and emits two metrics. */
const ARRIVAL_CHECK_SIZING = { memoryMb: 256, timeoutSeconds: 60 };

export interface MonitoringProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  readonly pipeline: Pipeline;
  readonly training: Training;
  readonly opsTopic: Topic;
}

/**
 * Alarms (to the ops topic, when the stage's alarms are enabled), the stage's dashboard, and the daily
 * check that the day's file arrived.
 *
 * The arrival check, and why it is built this way: "no file by 07:00" is the absence of an event, which
 * no S3 or Lambda metric shows. Rather than an always-on poller, an EventBridge Scheduler schedule fires
 * at the expected time in the stage's time zone (Scheduler handles daylight saving) and invokes a small
 * function that lists incoming/ and publishes DailyFileMissing = 1 or 0; an alarm on that metric tells
 * the ops topic. It costs one invocation a day. A Step Functions state machine calling ListObjectsV2
 * directly would avoid the function but not the logic: filtering by LastModified and following
 * pagination are clearer, and tested, in TypeScript than in a state machine definition.
 */
export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly arrivalCheck?: PipelineFunction;
  readonly arrivalSchedule?: Schedule;
  readonly dailyFileMissingAlarm?: Alarm;

  private readonly config: StageConfig;
  private readonly opsTopic: Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, storage, pipeline, training } = props;
    this.config = config;
    this.opsTopic = props.opsTopic;
    const period = Duration.minutes(config.alarms.periodMinutes);

    if (config.dailyFile) {
      this.arrivalCheck = new PipelineFunction(this, 'ArrivalCheck', {
        entryName: 'arrival-check',
        description: `trade-anomaly ${config.stage}: checks that the day's file arrived under ${PREFIXES.incoming}`,
        sizing: ARRIVAL_CHECK_SIZING,
        logRetention: config.logRetentionDays,
        logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        environment: {
          STAGE: config.stage,
          BUCKET_NAME: storage.bucket.bucketName,
          INCOMING_PREFIX: PREFIXES.incoming,
          LOOKBACK_HOURS: String(config.dailyFile.lookbackHours),
        },
      });
      storage.grantList(this.arrivalCheck.role, 'incoming');
      // Our own role for the schedule, so that its acknowledgement sits on a construct of ours.
      const scheduleRole = new Role(this, 'ArrivalScheduleRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
      acknowledge(scheduleRole, {
        id: `AwsSolutions-IAM5[Resource::${arnToken(this.arrivalCheck.function)}:*]`,
        reason: "The scheduler target grants lambda:InvokeFunction on the arrival-check function and its versions/aliases (ARN:*); it is one function, not a wildcard over functions.",
      });
      this.arrivalSchedule = new Schedule(this, 'ArrivalSchedule', {
        description: `trade-anomaly ${config.stage}: the day's file is due by ${config.dailyFile.expectedBy} ${config.dailyFile.timeZone}`,
        schedule: arrivalScheduleExpression(config.dailyFile),
        target: new LambdaInvoke(this.arrivalCheck.function, {
          input: ScheduleTargetInput.fromObject({ expectedAt: ContextAttribute.scheduledTime }),
          role: scheduleRole,
          retryAttempts: 3,
        }),
      });
      this.dailyFileMissingAlarm = this.alarm('DailyFileMissing', {
        metric: this.pipelineMetric(PIPELINE_METRICS.dailyFileMissing, 'Maximum', period),
        threshold: 1,
        description: `No file arrived under ${PREFIXES.incoming} in the ${config.dailyFile.lookbackHours} h before ${config.dailyFile.expectedBy} ${config.dailyFile.timeZone}. Check with the sender; a late file still runs when it lands.`,
      });
    }

    const sm = pipeline.stateMachine;
    this.alarm('RunsFailed', {
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: sm.metricFailed({ period }), timedOut: sm.metricTimedOut({ period }) },
        label: 'failed + timed-out executions',
        period,
      }),
      threshold: config.alarms.failedExecutions,
      description: 'Runs failed or timed out: no result was published for their files. The failure alert names the cause; fix it, then redrive (docs/deployment.md).',
    });

    this.alarm('DeadLetters', {
      metric: pipeline.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      threshold: config.alarms.deadLetterMessages,
      description: 'An ingest invocation (a new file), a training invocation or a failure alert failed for good; the event is in the dead-letter queue. Read it, fix the cause, replay it (docs/deployment.md).',
    });

    const functions = this.functions(pipeline, training);
    for (const [name, fn] of functions) {
      this.alarm(`${name}Errors`, {
        metric: fn.function.metricErrors({ period, statistic: 'Sum' }),
        threshold: config.alarms.lambdaErrors,
        description: `The ${name} function failed ${config.alarms.lambdaErrors} time(s) or more in ${config.alarms.periodMinutes} min. See its log group.`,
      });
      this.alarm(`${name}Throttles`, {
        metric: fn.function.metricThrottles({ period, statistic: 'Sum' }),
        threshold: config.alarms.lambdaThrottles,
        description: `The ${name} function was throttled: the account's concurrency is exhausted or a concurrency limit is too low.`,
      });
    }

    this.dashboard = this.buildDashboard(pipeline, functions);
  }

  /** The stage's functions by name, the arrival check included where the stage has one. */
  private functions(pipeline: Pipeline, training: Training): Array<[string, PipelineFunction]> {
    const list: Array<[string, PipelineFunction]> = [
      ['Ingest', pipeline.ingest],
      ['Score', pipeline.score],
      ['Aggregate', pipeline.aggregate],
      ['RunFailed', pipeline.runFailed],
      ['Train', training.train],
    ];
    if (this.arrivalCheck) list.push(['ArrivalCheck', this.arrivalCheck]);
    return list;
  }

  private pipelineMetric(metricName: string, statistic: string, period: Duration, label?: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: METRICS_SERVICE, stage: this.config.stage },
      statistic,
      period,
      label,
    });
  }

  /** An alarm at or above the threshold in one period; missing data (nothing happened) is not breaching. */
  private alarm(id: string, props: { metric: IMetric; threshold: number; description: string }): Alarm {
    const alarm = new Alarm(this, `${id}Alarm`, {
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `trade-anomaly ${this.config.stage}: ${props.description}`,
      actionsEnabled: this.config.alarms.enabled,
    });
    alarm.addAlarmAction(new SnsAction(this.opsTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(pipeline: Pipeline, functions: Array<[string, PipelineFunction]>): Dashboard {
    const hour = Duration.hours(1);
    const fiveMinutes = Duration.minutes(5);
    const sm = pipeline.stateMachine;
    const m = (name: string, statistic = 'Sum', period = hour, label?: string) => this.pipelineMetric(name, statistic, period, label);
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      new TextWidget({
        markdown: [
          `# trade-anomaly ${this.config.stage}`,
          `Files land under \`${PREFIXES.incoming}\`, results under \`${PREFIXES.results}date=<day>/\`, summaries under \`${PREFIXES.reports}\`.`,
          `Alarms ${this.config.alarms.enabled ? 'notify the ops topic' : 'are shown here but notify nobody in this stage'}. Runbook: docs/deployment.md.`,
        ].join('\n\n'),
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }));
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Runs (executions per hour)',
        left: [
          sm.metricStarted({ period: hour, label: 'started' }),
          sm.metricSucceeded({ period: hour, label: 'succeeded' }),
          sm.metricFailed({ period: hour, label: 'failed' }),
          sm.metricTimedOut({ period: hour, label: 'timed out' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Files',
        left: [
          m(PIPELINE_METRICS.filesStarted, 'Sum', hour, 'started'),
          m(PIPELINE_METRICS.filesRejected, 'Sum', hour, 'rejected'),
          m(PIPELINE_METRICS.filesDuplicate, 'Sum', hour, 'duplicate deliveries'),
          m(PIPELINE_METRICS.filesArrived, 'Maximum', hour, 'arrived by the expected time'),
          m(PIPELINE_METRICS.dailyFileMissing, 'Maximum', hour, 'daily file missing'),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Rows, bad rows and anomalies per run',
        left: [m(PIPELINE_METRICS.runRows, 'Sum', hour, 'rows')],
        right: [m(PIPELINE_METRICS.runBadRows, 'Sum', hour, 'bad rows'), m(PIPELINE_METRICS.runAnomalies, 'Sum', hour, 'anomalies')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Chunk scoring time (ms)',
        left: ['p50', 'p95', 'Maximum'].map((s) => m(PIPELINE_METRICS.chunkDuration, s, fiveMinutes, `chunk ${s}`)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Run duration, file landed to result (ms)',
        left: [m(PIPELINE_METRICS.runDuration, 'Maximum', hour, 'run')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Dead-letter queue (messages)',
        left: [pipeline.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum', label: 'waiting' })],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Lambda errors and throttles',
        left: functions.map(([name, fn]) => fn.function.metricErrors({ period: fiveMinutes, label: `${name} errors` })),
        right: functions.map(([name, fn]) => fn.function.metricThrottles({ period: fiveMinutes, label: `${name} throttles` })),
        width: 12,
      }),
      new GraphWidget({
        title: 'Lambda duration p95 (ms)',
        left: functions.map(([name, fn]) => fn.function.metricDuration({ period: fiveMinutes, statistic: 'p95', label: name })),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Latest runs',
        logGroupNames: [pipeline.aggregate.logGroup.logGroupName],
        queryLines: [
          'fields @timestamp, runId, rows, anomalies, severity, modelVersion, result',
          'filter message = "run aggregated"',
          'sort @timestamp desc',
          'limit 20',
        ],
        width: 24,
      }),
    );
    return dashboard;
  }
}

/** The schedule of the arrival check: the expected time on the expected days, in the stage's time zone. */
export function arrivalScheduleExpression(daily: DailyFileConfig): ScheduleExpression {
  const [hour, minute] = daily.expectedBy.split(':').map(Number);
  return ScheduleExpression.cron({
    minute: String(minute),
    hour: String(hour),
    weekDay: daily.days.join(','),
    timeZone: TimeZone.of(daily.timeZone),
  });
}
