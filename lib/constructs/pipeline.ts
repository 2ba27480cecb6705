import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  JsonPath,
  LogLevel,
  Map as MapState,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, arnToken, regionAndAccount, splitArnNameToken } from '../nag.js';
import type { StageConfig } from '../stage-config.js';
import type { Alerts } from './alerts.js';
import { PARQUET_WASM_FILE, PipelineFunction } from './pipeline-function.js';
import { PREFIXES, type Storage } from './storage.js';

export interface PipelineProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  readonly alerts: Alerts;
}

/** The failure alert's function does one DescribeExecution and one Publish (three more Step Functions calls when a Distributed Map failed). */
const RUN_FAILED_SIZING = { memoryMb: 256, timeoutSeconds: 30 };

/**
 * Far longer than a run takes (the busiest day scores in minutes): an execution still going after this
 * is stuck, and the timeout turns it into a TIMED_OUT execution that alarms, alerts and can be redriven,
 * instead of one that runs on silently.
 */
export const EXECUTION_TIMEOUT = Duration.hours(12);

/**
 * A run of more chunks than this is scored by the Distributed Map; up to this many, by the inline Map
 * (whose practical parallelism is 40). Ingest applies the same bound when it decides whether the chunk
 * list travels inline (INLINE_MAP_MAX_CHUNKS in src/pipeline/chunk-list.ts; lib/ does not import
 * runtime code, a test checks that the two agree).
 */
export const INLINE_MAP_MAX_CHUNKS = 40;

/** The Distributed Map's Map Run label: its child executions are named after it. */
export const DISTRIBUTED_MAP_LABEL = 'ScoreChunks';

/** The execution statuses that end a run without a result; each one gets a failure alert. */
export const UNSUCCESSFUL_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The functions and the state machine between them:
 * incoming/ object -> ingest -> [Map over chunks: score] -> aggregate; an unsuccessful execution ->
 * failure alert.
 *
 * Only S3 keys and counts travel between steps: a Standard execution's state is capped at 256 KiB.
 * A Choice picks the Map: the inline Map while ingest put the chunk list in the input (at most 40
 * chunks, the list well under 256 KiB), else a Distributed Map that reads the list from
 * runs/<runId>/chunks.json and scores each chunk in a child execution (see buildStateMachine).
 *
 * Failures and redrive: the definition has no Catch. A chunk or aggregate that fails after its
 * retries fails the execution at that state, and RedriveExecution restarts exactly there (an inline
 * Map reruns only its failed iterations, a Distributed Map only its Map Run's failed child executions;
 * scored chunks and the state before are kept). A Catch that led
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
        SEVERITY_MEDIUM_SCORE: String(config.severity.mediumScore),
        SEVERITY_HIGH_BAD_ROW_SHARE: String(config.severity.highBadRowShare),
        DRIFT_THRESHOLD: String(config.driftThreshold),
        ALERT_ALL_CLEAR: config.alerts.allClear,
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
      { prefix: 'reports', actions: ['s3:PutObject'], why: "aggregate writes the run's summary.json and report.html for people and tools" },
      { prefix: 'feedback', actions: ['s3:GetObject'], why: "aggregate reads the analysts' feedback files to leave known false positives out of the alert" },
    ]);
    // Also lists feedback/ (the analysts' files). No prefix condition: it would be redundant beside this
    // unconditional grant, and the grant must stay unconditional, or a missing manifest, chunk or model
    // would answer 403 instead of 404 (see grantList).
    storage.grantList(this.aggregate.role);
    alerts.grantPublish(this.aggregate.role);

    this.stateMachine = this.buildStateMachine(config, storage);

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
    // A run whose Distributed Map failed says only that its Map Run exceeded the tolerated failures: the
    // alert quotes the failed chunk instead, found by ListMapRuns of the run, ListExecutions (FAILED) of
    // its Map Run, and DescribeExecution of that child. Map Runs and their children are named
    // <state machine>/<label>:<id>, so each grant names this state machine's Distributed Map only.
    const ofDistributedMap = (resource: 'mapRun' | 'execution') =>
      Stack.of(this).formatArn({
        service: 'states',
        resource,
        resourceName: `${this.stateMachine.stateMachineName}/${DISTRIBUTED_MAP_LABEL}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.runFailed.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:ListMapRuns'], resources: [executions] }));
    this.runFailed.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:ListExecutions'], resources: [ofDistributedMap('mapRun')] }));
    this.runFailed.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [ofDistributedMap('execution')] }));
    const { region, account } = regionAndAccount(this);
    const stateMachineName = arnToken(this.stateMachine, 'Name');
    acknowledge(
      this.runFailed.role,
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${stateMachineName}:*]`,
        reason: "Execution names are runIds, made when a file arrives, so DescribeExecution and ListMapRuns are granted on this state machine's executions (name wildcard) and nothing else.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:mapRun:${stateMachineName}/${DISTRIBUTED_MAP_LABEL}:*]`,
        reason: `Map Run ids are made by Step Functions when a run enters its Distributed Map, so ListExecutions (to find a failed chunk's child execution) is granted on the ${DISTRIBUTED_MAP_LABEL} Map Runs of this state machine only.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${stateMachineName}/${DISTRIBUTED_MAP_LABEL}:*]`,
        reason: `Child execution ids are made by Step Functions when a chunk starts, so DescribeExecution (to quote a failed chunk's cause) is granted on the ${DISTRIBUTED_MAP_LABEL} child executions of this state machine only.`,
      },
    );
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

  private buildStateMachine(config: StageConfig, storage: Storage): StateMachine {
    // Both Maps give each iteration the same event: the run's keys and one chunk.
    const itemSelector = {
      runId: JsonPath.stringAt('$.runId'),
      bucket: JsonPath.stringAt('$.bucket'),
      manifestKey: JsonPath.stringAt('$.manifestKey'),
      chunk: JsonPath.objectAt('$$.Map.Item.Value'),
    };

    // An inline Map (no ItemReader/ResultWriter): its iterations' results stay in the execution, so a
    // redrive reruns only the iterations that failed. Its results (one small ChunkSummary a chunk) go
    // to aggregate as $.scored.
    const scoreChunks = new MapState(this, 'ScoreChunks', {
      itemsPath: JsonPath.stringAt('$.chunks'),
      maxConcurrency: config.mapConcurrency,
      itemSelector,
      resultPath: '$.scored',
    });
    scoreChunks.itemProcessor(this.scoreTask('ScoreChunk', config));

    // A Distributed Map for the long runs: the items come from the JSON array ingest wrote to
    // runs/<runId>/chunks.json (nothing per chunk in the parent's state or history), MaxConcurrency
    // from the stage (up to 1,000 concurrent score invocations, not the inline Map's 40).
    // - Child executions are STANDARD, not EXPRESS: a chunk's worst case with prod's retry policy
    //   (5 attempts of up to 120 s plus back-off, ~11 min) exceeds an Express execution's 5-minute
    //   limit; a Standard child runs each state exactly once, keeps its history for debugging a failed
    //   chunk, and a redrive of the parent redrives the Map Run's failed children only. Their extra
    //   cost is ~3 state transitions a chunk: $0.075 for 1,000 chunks (docs/scaling.md).
    // - ToleratedFailurePercentage 0: one chunk failed for good fails the run (a result with rows
    //   missing is worse than none), where the redrive picks it up.
    // - Results discarded, no ResultWriter: aggregate needs nothing from them (the scored chunks and
    //   each chunk's counts are in S3 beside them), so the state machine needs no write access to the
    //   bucket. Each child returns only its chunk's index, so the results Step Functions gathers before
    //   dropping them stay ~15 bytes a chunk, far below the 256 KiB state limit.
    const scoreChunksDistributed = new DistributedMap(this, 'ScoreChunksDistributed', {
      itemReader: new S3JsonItemReader({
        // The bucket by path, not the Bucket construct: with the construct CDK would grant
        // s3:GetObject on every object of the bucket; the grant below names the chunk lists only.
        bucketNamePath: JsonPath.stringAt('$.bucket'),
        key: JsonPath.stringAt('$.chunksKey'),
      }),
      maxConcurrency: config.distributedMapConcurrency,
      toleratedFailurePercentage: 0,
      mapExecutionType: StateMachineType.STANDARD,
      label: DISTRIBUTED_MAP_LABEL,
      itemSelector,
      resultPath: JsonPath.DISCARD,
    });
    scoreChunksDistributed.itemProcessor(this.scoreTask('ScoreChunkInChild', config, { 'index.$': '$.index' }));

    const aggregate = new LambdaInvoke(this, 'AggregateRun', {
      lambdaFunction: this.aggregate.function,
      payloadResponseOnly: true,
      resultPath: '$.summary',
    });

    const logGroup = new LogGroup(this, 'StateMachineLogs', {
      retention: config.logRetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Ingest leaves the chunk list out of the input when it is long (more than 40 chunks, or its JSON
    // over 200 KiB); the chunk count is checked too, so a list can never reach the inline Map past 40.
    const chooseMap = new Choice(this, 'ChooseMap', {
      comment: `inline Map while the chunk list is in the input and has at most ${INLINE_MAP_MAX_CHUNKS} chunks; else the Distributed Map over runs/<runId>/chunks.json`,
    })
      .when(Condition.and(Condition.isPresent('$.chunks'), Condition.numberLessThanEquals('$.chunkCount', INLINE_MAP_MAX_CHUNKS)), scoreChunks.next(aggregate))
      .otherwise(scoreChunksDistributed.next(aggregate));

    const stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(chooseMap),
      timeout: EXECUTION_TIMEOUT,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      comment: `trade-anomaly ${config.stage}: score a run's chunks, then aggregate; failures fail the execution (redrivable) and alert via EventBridge`,
    });
    // The Distributed Map's ItemReader reads the run's chunk list, and nothing else of the bucket.
    if (!(stateMachine.role instanceof Role)) throw new Error('the state machine role is made by the StateMachine construct');
    storage.grantObjectAccess(stateMachine.role, [
      { prefix: 'runs', keys: '*/chunks.json', actions: ['s3:GetObject'], why: "the Distributed Map's ItemReader reads the run's chunk list, runs/<runId>/chunks.json" },
    ]);
    // CDK's DistributedMap grants the state machine the rights to run its own child executions
    // (StartExecution on itself; Describe, Stop and Redrive on its executions).
    const { region, account } = regionAndAccount(this);
    const executionsOf = (name: string) => `arn:<AWS::Partition>:states:${region}:${account}:execution:${splitArnNameToken(stateMachine)}${name}:*`;
    acknowledge(
      stateMachine.node.findChild('DistributedMapPolicy'),
      {
        id: `AwsSolutions-IAM5[Resource::${executionsOf('')}]`,
        reason: "The Distributed Map's child executions are named by Step Functions when they start, so states:DescribeExecution and states:StopExecution are granted on this state machine's executions (name wildcard) and nothing else.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executionsOf(`/${DISTRIBUTED_MAP_LABEL}`)}]`,
        reason: `A redrive of a run redrives its Map Run's failed child executions, named ${DISTRIBUTED_MAP_LABEL}:<id> under this state machine when they start: states:RedriveExecution on those names only.`,
      },
    );
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

  /**
   * The score task of a Map's iteration, retried per the stage's policy. `resultSelector` trims what
   * the iteration returns (the Distributed Map's children return only their chunk's index).
   */
  private scoreTask(id: string, config: StageConfig, resultSelector?: Record<string, string>): LambdaInvoke {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: this.score.function,
      // The iteration's result is the handler's return value (a small per-chunk summary).
      payloadResponseOnly: true,
      resultSelector,
    });
    // Lambda's own transient errors keep CDK's default retrier (added first, so it matches first);
    // everything else the score function throws is retried per the stage's policy.
    task.addRetry({
      errors: [Errors.TASKS_FAILED],
      maxAttempts: config.scoreRetry.maxAttempts,
      interval: Duration.seconds(config.scoreRetry.intervalSeconds),
      backoffRate: config.scoreRetry.backoffRate,
    });
    return task;
  }
}
