import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { SnsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  DefinitionBody,
  Errors,
  Fail,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage-config.js';
import { PARQUET_WASM_FILE, PipelineFunction } from './pipeline-function.js';
import { PREFIXES } from './storage.js';

export interface PipelineProps {
  readonly config: StageConfig;
  readonly bucket: IBucket;
  readonly topic: ITopic;
}

/**
 * The three functions and the state machine between them:
 * incoming/ object -> ingest -> [Map over chunks: score] -> aggregate, any failure -> alert.
 *
 * Only S3 keys and counts travel between steps: a Standard execution's state is capped at 256 KiB.
 */
export class Pipeline extends Construct {
  readonly ingest: PipelineFunction;
  readonly score: PipelineFunction;
  readonly aggregate: PipelineFunction;
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { config, bucket, topic } = props;
    const logs = {
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };

    // Order matters for references, not for cycles: the state machine needs score and aggregate,
    // ingest needs the state machine's ARN, and the bucket notification needs ingest. Nothing points back.
    this.score = new PipelineFunction(this, 'Score', {
      entryName: 'score',
      description: `trade-anomaly ${config.stage}: scores one chunk of a run`,
      sizing: config.functions.score,
      ...logs,
      environment: { STAGE: config.stage },
    });
    bucket.grantRead(this.score.function, `${PREFIXES.runs}*`);
    bucket.grantRead(this.score.function, `${PREFIXES.models}*`);
    bucket.grantPut(this.score.function, `${PREFIXES.runs}*`);

    this.aggregate = new PipelineFunction(this, 'Aggregate', {
      entryName: 'aggregate',
      description: `trade-anomaly ${config.stage}: merges scored chunks into the day's Parquet result and alerts`,
      sizing: config.functions.aggregate,
      ...logs,
      environment: { STAGE: config.stage, TOPIC_ARN: topic.topicArn },
      filesBesideBundle: [PARQUET_WASM_FILE],
    });
    bucket.grantRead(this.aggregate.function, `${PREFIXES.runs}*`);
    // aggregateRun loads the run's model version (deps.models) while building the result.
    bucket.grantRead(this.aggregate.function, `${PREFIXES.models}*`);
    // runs/<runId>/summary.json; the Parquet goes straight to results/ in one atomic PutObject.
    bucket.grantPut(this.aggregate.function, `${PREFIXES.runs}*`);
    bucket.grantPut(this.aggregate.function, `${PREFIXES.results}*`);
    bucket.grantPut(this.aggregate.function, `${PREFIXES.reports}*`);
    topic.grantPublish(this.aggregate.function);

    this.stateMachine = this.buildStateMachine(config, topic);

    this.ingest = new PipelineFunction(this, 'Ingest', {
      entryName: 'ingest',
      description: `trade-anomaly ${config.stage}: validates and chunks an incoming trade file, starts the run`,
      sizing: config.functions.ingest,
      ...logs,
      environment: {
        STAGE: config.stage,
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        TOPIC_ARN: topic.topicArn,
        CHUNK_ROWS: String(config.chunkRows),
        ...(config.schemaJson ? { TRADE_SCHEMA: config.schemaJson } : {}),
      },
    });
    bucket.grantRead(this.ingest.function, `${PREFIXES.incoming}*`);
    bucket.grantRead(this.ingest.function, `${PREFIXES.models}*`);
    // Reads on runs/ and rejected/ are the idempotency checks: a file delivered twice finds its
    // manifest (or its earlier rejection report) already there.
    bucket.grantRead(this.ingest.function, `${PREFIXES.runs}*`);
    bucket.grantRead(this.ingest.function, `${PREFIXES.rejected}*`);
    bucket.grantPut(this.ingest.function, `${PREFIXES.runs}*`);
    bucket.grantPut(this.ingest.function, `${PREFIXES.rejected}*`);
    this.stateMachine.grantStartExecution(this.ingest.function);
    topic.grantPublish(this.ingest.function);
    // S3 invokes ingest asynchronously: a crash or timeout (not a rejected file, which ingest reports
    // itself) would otherwise end silently after Lambda's retries. The failure record goes to the topic.
    this.ingest.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SnsDestination(topic),
    });

    // All create events (Put, Post, Copy, CompleteMultipartUpload): large files arrive as multipart uploads.
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.ingest.function), {
      prefix: PREFIXES.incoming,
    });
  }

  private buildStateMachine(config: StageConfig, topic: ITopic): StateMachine {
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

    // A Pass builds the alert as one object so SNS gets a JSON string (States.JsonToString) that any
    // subscriber can parse; the Fail keeps the original error as the execution's error.
    const describeFailure = new Pass(this, 'DescribeFailure', {
      parameters: {
        kind: 'run-failed',
        stage: config.stage,
        runId: JsonPath.stringAt('$.runId'),
        input: JsonPath.objectAt('$.input'),
        error: JsonPath.objectAt('$.error'),
      },
      resultPath: '$.alert',
    });
    const notifyFailure = new SnsPublish(this, 'NotifyFailure', {
      topic,
      // SNS subjects are limited to 100 ASCII characters: keep it fixed and short.
      subject: `trade-anomaly ${config.stage}: run failed`,
      message: TaskInput.fromText(JsonPath.jsonToString(JsonPath.objectAt('$.alert'))),
      resultPath: JsonPath.DISCARD,
    });
    const runFailed = new Fail(this, 'RunFailed', {
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const onFailure = describeFailure.next(notifyFailure).next(runFailed);

    scoreChunks.addCatch(onFailure, { resultPath: '$.error' });
    aggregate.addCatch(onFailure, { resultPath: '$.error' });

    const logGroup = new LogGroup(this, 'StateMachineLogs', {
      retention: config.logRetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    return new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(scoreChunks.next(aggregate)),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      comment: `trade-anomaly ${config.stage}: score a run's chunks, aggregate, alert on failure`,
    });
  }
}
