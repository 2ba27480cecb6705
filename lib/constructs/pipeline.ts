import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  Errors,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, arnToken, regionAndAccount } from '../nag.js';
import type { StageConfig } from '../stage-config.js';
import type { Alerts } from './alerts.js';
import { PARQUET_WASM_FILE, PipelineFunction } from './pipeline-function.js';
import { PREFIXES, type Storage } from './storage.js';

export interface PipelineProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  readonly alerts: Alerts;
}

/** The failure alert's function does one DescribeExecution and one Publish. */
const RUN_FAILED_SIZING = { memoryMb: 256, timeoutSeconds: 30 };

/**
 * Far longer than a run takes (the busiest day scores in minutes): an execution still going after this
 * is stuck, and the timeout turns it into a TIMED_OUT execution that alarms, alerts and can be redriven,
 * instead of one that runs on silently.
 */
export const EXECUTION_TIMEOUT = Duration.hours(12);

/** The execution statuses that end a run without a result; each one gets a failure alert. */
export const UNSUCCESSFUL_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The functions and the state machine between them:
 * incoming/ object -> ingest -> [Map over chunks: score] -> aggregate; an unsuccessful execution ->
 * failure alert.
 *
 * Only S3 keys and counts travel between steps: a Standard execution's state is capped at 256 KiB.
 *
 * Failures and redrive: the definition has no Catch. A chunk or aggregate that fails after its
 * retries fails the execution at that state, and RedriveExecution restarts exactly there (an inline
 * Map reruns only its failed iterations; scored chunks and the state before are kept). A Catch that led
 * to an alert and a Fail state would end every failed execution in that Fail state, so a redrive would
 * only replay the Fail. The failure alert comes from EventBridge instead: every execution that ends
 * FAILED, TIMED_OUT or ABORTED (the last two a Catch never sees) invokes the run-failed function,
 * which publishes the alert with runId, file, cause and the redrive command.
 */
export class Pipeline extends Construct {
  readonly ingest: PipelineFunction;
  readonly score: PipelineFunction;
  readonly aggregate: PipelineFunction;
  readonly runFailed: PipelineFunction;
  readonly stateMachine: StateMachine;
  /** Invocations that failed for good: ingest and train (asynchronous, from S3) and the failure alert's delivery. */
  readonly deadLetterQueue: Queue;
  readonly failureRule: Rule;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { config, storage, alerts } = props;
    const logs = {
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to notice the alarm, read the failed event and replay it.
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself the dead-letter destination (the asynchronous on-failure destination of ingest and train, and the failure-alert rule's dead-letter queue); nothing consumes it automatically, so it needs no dead-letter queue of its own.",
    });

    // Order matters for references, not for cycles: the state machine needs score and aggregate,
    // ingest needs the state machine's ARN, and the bucket notification needs ingest. Nothing points back.
    this.score = new PipelineFunction(this, 'Score', {
      entryName: 'score',
      description: `trade-anomaly ${config.stage}: scores one chunk of a run`,
      sizing: config.functions.score,
      ...logs,
      environment: { STAGE: config.stage },
    });
    storage.grantObjectAccess(this.score.role, [
      { prefix: 'runs', actions: ['s3:GetObject'], why: "score reads its chunk, the chunk's repeats, the manifest and the day context" },
      { prefix: 'runs', keys: '*/scored/*', actions: ['s3:PutObject'], why: 'score writes runs/<runId>/scored/<n>.arrow and nothing else' },
      { prefix: 'models', actions: ['s3:GetObject'], why: "score loads the run's pinned model version" },
    ]);
    storage.grantList(this.score.role);

    this.aggregate = new PipelineFunction(this, 'Aggregate', {
      entryName: 'aggregate',
      description: `trade-anomaly ${config.stage}: merges scored chunks into the day's Parquet result and alerts`,
      sizing: config.functions.aggregate,
      ...logs,
      environment: {
        STAGE: config.stage,
        TOPIC_ARN: alerts.topic.topicArn,
        SEVERITY_HIGH_SCORE: String(config.severity.highScore),
        SEVERITY_HIGH_BAD_ROW_SHARE: String(config.severity.highBadRowShare),
        DRIFT_THRESHOLD: String(config.driftThreshold),
      },
      filesBesideBundle: [PARQUET_WASM_FILE],
    });
    storage.grantObjectAccess(this.aggregate.role, [
      { prefix: 'runs', actions: ['s3:GetObject'], why: 'aggregate reads the manifest and the scored chunks' },
      { prefix: 'runs', keys: '*/summary.json', actions: ['s3:PutObject'], why: 'aggregate writes runs/<runId>/summary.json, the mark of a finished aggregate' },
      // The Parquet is streamed (a multipart upload, aborted on a failure) to runs/<runId>/staging/, then
      // copied to results/ whole: a failure leaves no partial result. CopyObject reads the staged object
      // (GetObject on runs/, above) and writes the result (PutObject on results/, below).
      {
        prefix: 'runs',
        keys: '*/staging/*',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        why: 'aggregate streams the Parquet result to runs/<runId>/staging/ before publishing it, and aborts that upload if the run fails',
      },
      { prefix: 'models', actions: ['s3:GetObject'], why: "aggregate loads the run's pinned model version (its threshold and version go into the summary)" },
      { prefix: 'results', actions: ['s3:PutObject'], why: "aggregate publishes the run's complete Parquet result (a CopyObject from the staging key)" },
      { prefix: 'reports', actions: ['s3:PutObject'], why: "aggregate writes the run's summary.json for people and tools" },
      { prefix: 'feedback', actions: ['s3:GetObject'], why: "aggregate reads the analysts' feedback files to leave known false positives out of the alert" },
    ]);
    // Also lists feedback/ (the analysts' files). No prefix condition: it would be redundant beside this
    // unconditional grant, and the grant must stay unconditional, or a missing manifest, chunk or model
    // would answer 403 instead of 404 (see grantList).
    storage.grantList(this.aggregate.role);
    alerts.grantPublish(this.aggregate.role);

    this.stateMachine = this.buildStateMachine(config);

    this.ingest = new PipelineFunction(this, 'Ingest', {
      entryName: 'ingest',
      description: `trade-anomaly ${config.stage}: validates and chunks an incoming trade file, starts the run`,
      sizing: config.functions.ingest,
      ...logs,
      environment: {
        STAGE: config.stage,
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        TOPIC_ARN: alerts.topic.topicArn,
        CHUNK_ROWS: String(config.chunkRows),
        ...(config.schemaJson ? { TRADE_SCHEMA: config.schemaJson } : {}),
        ...(config.anomalyThreshold !== undefined ? { ANOMALY_THRESHOLD: String(config.anomalyThreshold) } : {}),
      },
    });
    // Reads on runs/ and rejected/ are the idempotency checks: a file delivered twice finds its
    // manifest (or its earlier rejection report) already there. A rejected file is copied (CopyObject:
    // GetObject on incoming/, PutObject on rejected/); the original is never changed.
    storage.grantObjectAccess(this.ingest.role, [
      { prefix: 'incoming', actions: ['s3:GetObject'], why: 'ingest reads the new file (and copies a rejected one); it never writes or deletes an input' },
      { prefix: 'models', actions: ['s3:GetObject'], why: 'ingest reads models/current.json to pin the run to the promoted model version' },
      { prefix: 'runs', actions: ['s3:GetObject', 's3:PutObject'], why: "ingest writes the run's chunks, repeats, context and manifest, and reads an earlier manifest when a file is delivered twice" },
      { prefix: 'rejected', actions: ['s3:GetObject', 's3:PutObject'], why: 'ingest writes the rejected copy and its error report, and reads an earlier report when a file is delivered twice' },
    ]);
    storage.grantList(this.ingest.role);
    this.stateMachine.grantStartExecution(this.ingest.role);
    alerts.grantPublish(this.ingest.role);
    // S3 invokes ingest asynchronously: a crash or timeout (not a rejected file, which ingest reports
    // itself) would otherwise end silently after Lambda's retries. The failed event lands in the
    // dead-letter queue, whose alarm tells the ops topic; the event can be replayed from there.
    this.ingest.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // All create events (Put, Post, Copy, CompleteMultipartUpload): large files arrive as multipart uploads.
    storage.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.ingest.function), {
      prefix: PREFIXES.incoming,
    });

    this.runFailed = new PipelineFunction(this, 'RunFailed', {
      entryName: 'run-failed',
      description: `trade-anomaly ${config.stage}: alerts on a failed, timed-out or aborted run`,
      sizing: RUN_FAILED_SIZING,
      ...logs,
      environment: { STAGE: config.stage, TOPIC_ARN: alerts.topic.topicArn },
    });
    alerts.grantPublish(this.runFailed.role);
    // The status-change event carries no error or cause; DescribeExecution has both.
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.runFailed.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    const { region, account } = regionAndAccount(this);
    acknowledge(this.runFailed.role, {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${arnToken(this.stateMachine, 'Name')}:*]`,
      reason: "Execution names are runIds, made when a file arrives, so DescribeExecution is granted on this state machine's executions (name wildcard) and nothing else.",
    });
    this.runFailed.function.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

    this.failureRule = new Rule(this, 'RunUnsuccessful', {
      description: `trade-anomaly ${config.stage}: an execution ended ${UNSUCCESSFUL_STATUSES.join(', ')}`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: [...UNSUCCESSFUL_STATUSES] },
      },
      targets: [new LambdaFunction(this.runFailed.function, { retryAttempts: 4, deadLetterQueue: this.deadLetterQueue })],
    });
  }

  private buildStateMachine(config: StageConfig): StateMachine {
    const scoreChunk = new LambdaInvoke(this, 'ScoreChunk', {
      lambdaFunction: this.score.function,
      // The iteration's result is the handler's return value (a small per-chunk summary).
      payloadResponseOnly: true,
    });
    // Lambda's own transient errors keep CDK's default retrier (added first, so it matches first);
    // everything else the score function throws is retried per the stage's policy.
    scoreChunk.addRetry({
      errors: [Errors.TASKS_FAILED],
      maxAttempts: config.scoreRetry.maxAttempts,
      interval: Duration.seconds(config.scoreRetry.intervalSeconds),
      backoffRate: config.scoreRetry.backoffRate,
    });

    // An inline Map (no ItemReader/ResultWriter): its iterations' results stay in the execution, so a
    // redrive reruns only the iterations that failed.
    const scoreChunks = new MapState(this, 'ScoreChunks', {
      itemsPath: JsonPath.stringAt('$.chunks'),
      maxConcurrency: config.mapConcurrency,
      itemSelector: {
        runId: JsonPath.stringAt('$.runId'),
        bucket: JsonPath.stringAt('$.bucket'),
        manifestKey: JsonPath.stringAt('$.manifestKey'),
        chunk: JsonPath.objectAt('$$.Map.Item.Value'),
      },
      resultPath: '$.scored',
    });
    scoreChunks.itemProcessor(scoreChunk);

    const aggregate = new LambdaInvoke(this, 'AggregateRun', {
      lambdaFunction: this.aggregate.function,
      payloadResponseOnly: true,
      resultPath: '$.summary',
    });

    const logGroup = new LogGroup(this, 'StateMachineLogs', {
      retention: config.logRetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(scoreChunks.next(aggregate)),
      timeout: EXECUTION_TIMEOUT,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      comment: `trade-anomaly ${config.stage}: score a run's chunks, then aggregate; failures fail the execution (redrivable) and alert via EventBridge`,
    });
    acknowledge(
      stateMachine.role,
      ...[this.score, this.aggregate].map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::${arnToken(fn.function)}:*]`,
        reason: `CDK's LambdaInvoke grants lambda:InvokeFunction on the ${fn.node.id.toLowerCase()} function and its versions/aliases (ARN:*); it is one function, not a wildcard over functions.`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Execution logging (logs:CreateLogDelivery and related CloudWatch Logs delivery actions) and X-Ray tracing (xray:PutTraceSegments) support no resource-level permissions, so Resource must be *.',
      },
    );
    return stateMachine;
  }
}
