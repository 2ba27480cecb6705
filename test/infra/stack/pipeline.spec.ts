/**
 * Storage, functions, state machine, failure paths, alerts and least privilege of each stage's stack.
 * Run by ../stack.test.ts.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTED_MAP_LABEL, EXECUTION_TIMEOUT, INLINE_MAP_MAX_CHUNKS } from '../../../lib/constructs/pipeline.js';
import { INLINE_MAP_MAX_CHUNKS as INGEST_INLINE_MAX_CHUNKS } from '../../../src/pipeline/chunk-list.js';
import {
  STAGES,
  actionMatches,
  allStates,
  bucketObjects,
  definitionOf,
  flatten,
  objectsAllowed,
  resourcesAllowed,
  statementsOf,
  synthesizeAll,
  type AslState,
  type StageName,
  type Synthesized,
} from '../synth.js';

let synthesized: Map<StageName, Synthesized>;
beforeAll(() => {
  synthesized = synthesizeAll();
});
const get = (stage: StageName): Synthesized => synthesized.get(stage)!;

const TLS_ONLY = Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });

describe.each(STAGES)('stack for %s', (stage) => {
  const isProd = stage === 'prod';

  describe('storage', () => {
    it('has a data bucket and an access-log bucket, both S3-encrypted with every public access blocked', () => {
      const { template, ids } = get(stage);
      template.resourceCountIs('AWS::S3::Bucket', 2);
      const buckets = template.findResources('AWS::S3::Bucket');
      for (const id of [ids.bucket, ids.accessLogs]) {
        expect(buckets[id]?.Properties).toMatchObject({
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        });
      }
    });

    it('denies every request to either bucket that does not use TLS 1.2 or later', () => {
      const { template, ids } = get(stage);
      for (const id of [ids.bucket, ids.accessLogs]) {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
              Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
            ]),
          },
        });
      }
    });

    it('logs every request to the data bucket into the access-log bucket, kept as long as the stage keeps logs', () => {
      const { template, ids, config } = get(stage);
      const buckets = template.findResources('AWS::S3::Bucket');
      expect(buckets[ids.bucket]?.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: ids.accessLogs },
        LogFilePrefix: 'data/',
      });
      expect(buckets[ids.accessLogs]?.Properties.LifecycleConfiguration.Rules).toEqual([
        { Id: 'expire-access-logs', ExpirationInDays: config.logRetentionDays, Status: 'Enabled' },
      ]);
      // Delivery is allowed by bucket policy (no ACLs: the bucket owner owns every object).
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.accessLogs },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } }),
          ]),
        },
      });
    });

    it(isProd ? 'is versioned and retained on stack deletion' : 'is unversioned and deleted with its objects', () => {
      const { template, ids } = get(stage);
      const data = template.findResources('AWS::S3::Bucket')[ids.bucket];
      expect(data?.Properties.VersioningConfiguration).toEqual(isProd ? { Status: 'Enabled' } : undefined);
      for (const id of [ids.bucket, ids.accessLogs]) {
        expect(template.findResources('AWS::S3::Bucket')[id]).toMatchObject({
          DeletionPolicy: isProd ? 'Retain' : 'Delete',
          UpdateReplacePolicy: isProd ? 'Retain' : 'Delete',
        });
      }
      template.resourceCountIs('Custom::S3AutoDeleteObjects', isProd ? 0 : 2);
    });

    it('expires intermediate data: runs/ after 14 days, Athena results after 30, broken uploads after 7', () => {
      const { template, ids } = get(stage);
      const rules = template.findResources('AWS::S3::Bucket')[ids.bucket]?.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
      expect(rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Prefix: 'runs/', ExpirationInDays: 14, Status: 'Enabled' }),
          expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' }),
          expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }),
        ]),
      );
      // Results, reports, models, incoming and rejected files are never expired.
      expect(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => r.Prefix).sort()).toEqual(['athena-results/', 'runs/']);
      const noncurrent = rules.find((r) => r.Id === 'expire-noncurrent-versions');
      expect(noncurrent).toEqual(
        isProd ? expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }) : undefined,
      );
    });

    it('invokes ingest on every ObjectCreated event under incoming/, and train on every one under training/', () => {
      const { template, ids } = get(stage);
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { Ref: ids.bucket },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
              LambdaFunctionArn: { 'Fn::GetAtt': [ids.ingest, 'Arn'] },
            },
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'training/' }] } },
              LambdaFunctionArn: { 'Fn::GetAtt': [ids.train, 'Arn'] },
            },
          ],
        },
      });
      for (const fn of [ids.ingest, ids.train]) {
        template.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
          Principal: 's3.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [ids.bucket, 'Arn'] },
        });
      }
    });
  });

  describe('functions', () => {
    const ours = (s: Synthesized) =>
      [
        ['ingest', s.ids.ingest],
        ['score', s.ids.score],
        ['aggregate', s.ids.aggregate],
        ['runFailed', s.ids.runFailed],
        ['train', s.ids.train],
        ...(s.ids.arrivalCheck ? [['arrivalCheck', s.ids.arrivalCheck]] : []),
      ] as Array<[string, string]>;

    it(`are ${stage === 'dev' ? 'five' : 'six (with the arrival check)'} functions on Node.js 22, ARM64, traced; the pipeline's and train's sized from config`, () => {
      const s = get(stage);
      const functions = s.template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { STAGE: stage } } },
      });
      expect(Object.keys(functions).sort()).toEqual(ours(s).map(([, id]) => id).sort());
      for (const [, id] of ours(s)) {
        expect(functions[id]?.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', STAGE: stage } },
        });
      }
      for (const name of ['ingest', 'score', 'aggregate', 'train'] as const) {
        expect(functions[s.ids[name]]?.Properties).toMatchObject({
          MemorySize: s.config.functions[name].memoryMb,
          Timeout: s.config.functions[name].timeoutSeconds,
        });
      }
    });

    it('log to their own log groups with the stage retention', () => {
      const s = get(stage);
      const functions = s.template.findResources('AWS::Lambda::Function');
      const logGroups = s.template.findResources('AWS::Logs::LogGroup');
      for (const [, id] of ours(s)) {
        const groupRef = functions[id]?.Properties.LoggingConfig.LogGroup as { Ref: string };
        expect(logGroups[groupRef.Ref]).toMatchObject({
          Properties: { RetentionInDays: s.config.logRetentionDays },
          DeletionPolicy: isProd ? 'Retain' : 'Delete',
        });
      }
    });

    it('run under roles of their own with no managed policy, each allowed to write only its own log group', () => {
      const s = get(stage);
      const functions = s.template.findResources('AWS::Lambda::Function');
      const roles = s.template.findResources('AWS::IAM::Role');
      for (const [, id] of ours(s)) {
        const roleId = (functions[id]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        expect(roles[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
        const groupId = (functions[id]?.Properties.LoggingConfig.LogGroup as { Ref: string }).Ref;
        expect(resourcesAllowed(statementsOf(s.template, roleId), 'logs:PutLogEvents')).toEqual([`GETATT(${groupId}.Arn)`]);
      }
    });

    it('get the environment the handlers read, the severity levels from the stage config', () => {
      const { template, ids, config } = get(stage);
      const env = (id: string) =>
        template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables as Record<string, unknown>;
      expect(env(ids.ingest)).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: stage,
        STATE_MACHINE_ARN: { Ref: ids.stateMachine },
        TOPIC_ARN: { Ref: ids.topic },
        CHUNK_ROWS: String(config.chunkRows),
      });
      expect(env(ids.score)).toEqual({ NODE_OPTIONS: '--enable-source-maps', STAGE: stage });
      expect(env(ids.aggregate)).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: stage,
        TOPIC_ARN: { Ref: ids.topic },
        SEVERITY_HIGH_SCORE: String(config.severity.highScore),
        SEVERITY_MEDIUM_SCORE: String(config.severity.mediumScore),
        SEVERITY_HIGH_BAD_ROW_SHARE: String(config.severity.highBadRowShare),
        DRIFT_THRESHOLD: String(config.driftThreshold),
        ALERT_ALL_CLEAR: config.alerts.allClear,
      });
      expect(env(ids.runFailed)).toEqual({ NODE_OPTIONS: '--enable-source-maps', STAGE: stage, TOPIC_ARN: { Ref: ids.topic } });
      // Train tells the ops topic (whoever runs the stage promotes models), not the alert topic, and
      // fits the stage's model kind (cdk.json algorithm).
      expect(env(ids.train)).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: stage,
        OPS_TOPIC_ARN: { Ref: ids.opsTopic },
        MODEL_ALGORITHM: config.algorithm,
      });
    });

    it("sends train's asynchronous invocations that fail after one retry to the same dead-letter queue", () => {
      const { template, ids } = get(stage);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.train },
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] } } },
      });
      expect(resourcesAllowed(statementsOf(template, ids.trainRole), 'sqs:SendMessage')).toEqual([`GETATT(${ids.deadLetterQueue}.Arn)`]);
    });

    it("sends ingest's asynchronous invocations that fail after two retries to an encrypted, TLS-only dead-letter queue", () => {
      const { template, ids } = get(stage);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.ingest },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] } } },
      });
      template.resourceCountIs('AWS::SQS::Queue', 1);
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.deadLetterQueue }],
        PolicyDocument: { Statement: Match.arrayWith([TLS_ONLY]) },
      });
      expect(resourcesAllowed(statementsOf(template, ids.ingestRole), 'sqs:SendMessage')).toEqual([`GETATT(${ids.deadLetterQueue}.Arn)`]);
    });
  });

  describe('state machine', () => {
    it('is a Standard state machine with full logging, tracing and an execution timeout', () => {
      const { template } = get(stage);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      expect(definitionOf(get(stage)).TimeoutSeconds).toBe(EXECUTION_TIMEOUT.toSeconds());
    });

    const ITEM_SELECTOR = {
      'runId.$': '$.runId',
      'bucket.$': '$.bucket',
      'manifestKey.$': '$.manifestKey',
      'chunk.$': '$$.Map.Item.Value',
    };

    it(`starts with a Choice: the inline Map while the input carries the chunk list and at most ${INLINE_MAP_MAX_CHUNKS} chunks, else the Distributed Map`, () => {
      const asl = definitionOf(get(stage));
      const choice = asl.States[asl.StartAt]!;
      expect(choice.Type).toBe('Choice');
      expect(choice.Choices).toEqual([
        {
          And: [
            { Variable: '$.chunks', IsPresent: true },
            { Variable: '$.chunkCount', NumericLessThanEquals: INLINE_MAP_MAX_CHUNKS },
          ],
          Next: 'ScoreChunks',
        },
      ]);
      expect(choice.Default).toBe('ScoreChunksDistributed');
      // The same bound as ingest's, which decides whether the list travels inline.
      expect(INLINE_MAP_MAX_CHUNKS).toBe(INGEST_INLINE_MAX_CHUNKS);
      expect(INLINE_MAP_MAX_CHUNKS).toBe(40);
    });

    it('maps inline over $.chunks with the stage concurrency, passing each chunk with the run keys', () => {
      const s = get(stage);
      const map = definitionOf(s).States.ScoreChunks;
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.chunks',
        MaxConcurrency: s.config.mapConcurrency,
        ResultPath: '$.scored',
        ItemSelector: ITEM_SELECTOR,
        Next: 'AggregateRun',
      });
      expect((map!.ItemProcessor as { ProcessorConfig?: { Mode?: string } }).ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    });

    it("maps a long run with a Distributed Map that reads the chunk list from runs/<runId>/chunks.json, at the stage's distributed concurrency", () => {
      const s = get(stage);
      const map = definitionOf(s).States.ScoreChunksDistributed!;
      expect(map).toMatchObject({
        Type: 'Map',
        MaxConcurrency: s.config.distributedMapConcurrency,
        Label: DISTRIBUTED_MAP_LABEL,
        ItemSelector: ITEM_SELECTOR,
        Next: 'AggregateRun',
        ItemReader: {
          Resource: 'arn:REF(AWS::Partition):states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.chunksKey' },
        },
        // Standard children: a chunk's retries can outlast an Express execution's 5 minutes.
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      });
      expect(s.config.distributedMapConcurrency).toBeGreaterThan(s.config.mapConcurrency);
      // No chunk may fail for good (a result with rows missing is worse than none): 0, the ASL default,
      // which CDK leaves out when it is 0.
      expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
      expect(map.ToleratedFailureCount ?? 0).toBe(0);
      // The results are discarded (aggregate reads each chunk's counts from S3): the state keeps its input,
      // and each child returns only its chunk's index, so the gathered results stay tiny.
      expect(map.ResultPath).toBeNull();
      expect(map.ResultWriter).toBeUndefined();
      expect(map.ItemsPath).toBeUndefined();
      const processor = map.ItemProcessor as { StartAt: string; States: Record<string, AslState> };
      expect(processor.States[processor.StartAt]?.ResultSelector).toEqual({ 'index.$': '$.index' });
    });

    it.each(['ScoreChunks', 'ScoreChunksDistributed'])('scores each chunk of %s with the score function, retried per the stage policy', (mapName) => {
      const s = get(stage);
      const processor = definitionOf(s).States[mapName]?.ItemProcessor as { StartAt: string; States: Record<string, AslState> };
      const scoreTask = processor.States[processor.StartAt];
      expect(Object.keys(processor.States)).toHaveLength(1);
      expect(scoreTask?.Type).toBe('Task');
      expect(scoreTask?.Resource).toBe(`GETATT(${s.ids.score}.Arn)`);
      expect(scoreTask?.End).toBe(true);
      expect(scoreTask?.Retry).toContainEqual({
        ErrorEquals: ['States.TaskFailed'],
        MaxAttempts: s.config.scoreRetry.maxAttempts,
        IntervalSeconds: s.config.scoreRetry.intervalSeconds,
        BackoffRate: s.config.scoreRetry.backoffRate,
      });
    });

    it('then aggregates the whole run state into $.summary and ends', () => {
      const s = get(stage);
      const asl = definitionOf(s);
      expect(asl.States.ScoreChunks?.Next).toBe('AggregateRun');
      expect(asl.States.ScoreChunksDistributed?.Next).toBe('AggregateRun');
      const aggregate = asl.States.AggregateRun;
      expect(aggregate).toMatchObject({
        Type: 'Task',
        Resource: `GETATT(${s.ids.aggregate}.Arn)`,
        ResultPath: '$.summary',
        End: true,
      });
      // No Parameters/InputPath: the handler receives { runId, bucket, manifestKey, input, chunksKey,
      // chunkCount }, with chunks and scored after the inline Map.
      expect(aggregate?.InputPath).toBeUndefined();
      expect(aggregate?.Parameters).toBeUndefined();
    });

    it('lets a failure fail the execution at the failing state, so a redrive reruns exactly that state', () => {
      const asl = definitionOf(get(stage));
      const states = allStates(asl);
      // No Catch (a caught failure would end in a Fail state, and a redrive would replay only the Fail)...
      expect(states.filter((st) => st.Catch !== undefined)).toEqual([]);
      expect(states.filter((st) => st.Type === 'Fail' || st.Type === 'Succeed')).toEqual([]);
      // ...and no Retry on either Map (it would rescore every chunk): a redrive reruns the inline Map's
      // failed iterations, or the Map Run's failed child executions, only.
      expect([asl.States.ScoreChunks?.Retry, asl.States.ScoreChunksDistributed?.Retry]).toEqual([undefined, undefined]);
      expect(asl.States.ScoreChunks?.ItemReader).toBeUndefined();
      expect(asl.States.ScoreChunks?.ResultWriter).toBeUndefined();
      expect(Object.keys(asl.States).sort()).toEqual(['AggregateRun', 'ChooseMap', 'ScoreChunks', 'ScoreChunksDistributed']);
    });

    it('alerts on every failed, timed-out or aborted execution through an EventBridge rule and the run-failed function', () => {
      const { template, ids } = get(stage);
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [{ Ref: ids.stateMachine }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [ids.runFailed, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 4 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] } },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.runFailed },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] } } },
      });
    });
  });

  describe('alerts', () => {
    it('has an alert topic and an ops topic, both encrypted with the stage key (rotated) and TLS-only', () => {
      const { template, ids } = get(stage);
      template.resourceCountIs('AWS::SNS::Topic', 2);
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: isProd ? 'Retain' : 'Delete',
      });
      for (const topic of [ids.topic, ids.opsTopic]) {
        expect(template.findResources('AWS::SNS::Topic')[topic]?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: topic }],
          PolicyDocument: { Statement: Match.arrayWith([TLS_ONLY]) },
        });
      }
    });

    it('lets CloudWatch alarms use the key, so they can publish to the encrypted ops topic', () => {
      const { template } = get(stage);
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    });

    it('subscribes the alert emails to the alert topic and the ops emails to the ops topic', () => {
      const { template, ids, config } = get(stage);
      template.resourceCountIs('AWS::SNS::Subscription', config.alertEmails.length + config.opsEmails.length);
      expect(config.alertEmails.length).toBeGreaterThan(0);
      for (const [emails, topic] of [
        [config.alertEmails, ids.topic],
        [config.opsEmails, ids.opsTopic],
      ] as const) {
        for (const email of emails) {
          template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email, TopicArn: { Ref: topic } });
        }
      }
    });
  });

  describe('least privilege', () => {
    const publishes = (s: Synthesized, roleId: string) => {
      const st = statementsOf(s.template, roleId);
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([`REF(${s.ids.topic})`]);
      // SNS needs exactly these two on the topic's key from a publisher; no kms:* or GenerateDataKey* wildcard.
      expect(resourcesAllowed(st, 'kms:GenerateDataKey')).toEqual([`GETATT(${s.ids.key}.Arn)`]);
      expect(resourcesAllowed(st, 'kms:Decrypt')).toEqual([`GETATT(${s.ids.key}.Arn)`]);
    };

    it('lets ingest read incoming/ and models/, read and write runs/ and rejected/, start the run and alert', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.ingestRole);
      // runs/ and rejected/ are read for the idempotency checks.
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(['incoming/', 'models/', 'rejected/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(objectsAllowed(st, 's3:PutObject')).toEqual(['rejected/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(resourcesAllowed(st, 's3:ListBucket')).toEqual([`GETATT(${s.ids.bucket}.Arn)`]);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([`REF(${s.ids.stateMachine})`]);
      publishes(s, s.ids.ingestRole);
    });

    it('lets score read runs/ and models/ and write only its scored chunks under runs/, with no SNS', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.scoreRole);
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(['models/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(objectsAllowed(st, 's3:PutObject')).toEqual([bucketObjects(s, 'runs/*/scored/')]);
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([]);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([]);
    });

    it("lets aggregate read runs/, models/ and the analysts' feedback/, write results/, reports/ and the run summary under runs/, and alert", () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.aggregateRole);
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(['feedback/', 'models/', 'runs/'].map((p) => bucketObjects(s, p)));
      // One unconditional ListBucket: it lists feedback/, and keeps a missing key a 404 (a prefix
      // condition would make it a 403; a second, conditioned statement beside it would add nothing).
      expect(resourcesAllowed(st, 's3:ListBucket')).toEqual([`GETATT(${s.ids.bucket}.Arn)`]);
      expect(st.filter((x) => [x.Action].flat().includes('s3:ListBucket')).map((x) => x.Condition)).toEqual([undefined]);
      // The result is staged under runs/<runId>/staging/ (a multipart upload, aborted on failure), then copied to results/.
      expect(objectsAllowed(st, 's3:PutObject')).toEqual(['reports/*', 'results/*', 'runs/*/staging/*', 'runs/*/summary.json'].map((p) => `GETATT(${s.ids.bucket}.Arn)/${p}`));
      expect(objectsAllowed(st, 's3:AbortMultipartUpload')).toEqual([`GETATT(${s.ids.bucket}.Arn)/runs/*/staging/*`]);
      for (const key of ['runs/trades-0123456789abcdef/staging/result.parquet', 'results/date=2026-12-01/trades.parquet']) {
        expect(objectsAllowed(st, 's3:PutObject').some((arn) => actionMatches(arn.slice(arn.indexOf('/') + 1), key)), key).toBe(true);
      }
      publishes(s, s.ids.aggregateRole);
    });

    it("lets the run-failed function describe this state machine's executions and alert, and touch no data", () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.runFailedRole);
      // Its runs, and its Distributed Map's child executions (a failed chunk's cause): see run-failed.spec.ts.
      const [children, executions, ...others] = resourcesAllowed(st, 'states:DescribeExecution').sort();
      expect(others).toEqual([]);
      expect(executions).toMatch(new RegExp(`:execution:GETATT\\(${s.ids.stateMachine}\\.Name\\):\\*$`));
      expect(children).toMatch(new RegExp(`:execution:GETATT\\(${s.ids.stateMachine}\\.Name\\)/${DISTRIBUTED_MAP_LABEL}:\\*$`));
      publishes(s, s.ids.runFailedRole);
      expect(resourcesAllowed(st, 's3:GetObject')).toEqual([]);
    });

    it("lets train read training/ and feedback/, and write only a version's model.json and metadata.json: it cannot promote", () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.trainRole);
      expect(objectsAllowed(st, 's3:GetObject').sort()).toEqual([bucketObjects(s, 'feedback/'), bucketObjects(s, 'training/')].sort());
      expect(objectsAllowed(st, 's3:PutObject')).toEqual(['models/*/metadata.json', 'models/*/model.json'].map((p) => `GETATT(${s.ids.bucket}.Arn)/${p}`));
      for (const key of ['models/20261201T063000Z-1a2b3c4d5e/model.json', 'models/20261201T063000Z-1a2b3c4d5e/metadata.json']) {
        expect(objectsAllowed(st, 's3:PutObject').some((arn) => actionMatches(arn.slice(arn.indexOf('/') + 1), key)), key).toBe(true);
      }
      // Neither the pointer nor the history matches what it may write.
      for (const key of ['models/current.json', 'models/history/20261201T063000.000Z-v1.json', 'training/day.csv', 'incoming/day.csv']) {
        // IAM's * in an object ARN matches any characters, '/' included, as actionMatches does.
        const writable = objectsAllowed(st, 's3:PutObject').some((arn) => actionMatches(arn.slice(arn.indexOf('/') + 1), key));
        expect(writable, key).toBe(false);
      }
      // It lists only the analysts' feedback files (a prefix condition).
      expect(st.filter((x) => [x.Action].flat().includes('s3:ListBucket')).map((x) => (x as { Condition?: unknown }).Condition)).toEqual([
        { StringLike: { 's3:prefix': ['feedback/*'] } },
      ]);
      expect(resourcesAllowed(st, 's3:DeleteObject')).toEqual([]);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([]);
      // It tells the ops topic, through the stage key's two publisher actions.
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([`REF(${s.ids.opsTopic})`]);
      expect(resourcesAllowed(st, 'kms:GenerateDataKey')).toEqual([`GETATT(${s.ids.key}.Arn)`]);
      expect(resourcesAllowed(st, 'kms:Decrypt')).toEqual([`GETATT(${s.ids.key}.Arn)`]);
    });

    it('grants only named actions on the data: no s3:*, s3:Get*, s3:List* or s3:Delete*', () => {
      const s = get(stage);
      const roles = [s.ids.ingestRole, s.ids.scoreRole, s.ids.aggregateRole, s.ids.runFailedRole, s.ids.trainRole, s.ids.arrivalCheckRole].filter(
        (r): r is string => r !== undefined,
      );
      for (const role of roles) {
        const actions = statementsOf(s.template, role).flatMap((st) => [st.Action].flat());
        for (const action of actions.filter((a) => a.startsWith('s3:'))) {
          expect(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket'], `${role}: ${action}`).toContain(action);
        }
      }
    });

    it('never lets a function change or delete an input file', () => {
      const s = get(stage);
      for (const role of [s.ids.ingestRole, s.ids.scoreRole, s.ids.aggregateRole, s.ids.runFailedRole, s.ids.trainRole]) {
        const st = statementsOf(s.template, role);
        for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
          const resources = objectsAllowed(st, action);
          expect(resources).not.toContain(bucketObjects(s, 'incoming/'));
          expect(resources).not.toContain(bucketObjects(s, ''));
        }
      }
    });

    it('lets the state machine read only the chunk lists of the bucket, and run and redrive only its own child executions', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.stateMachineRole);
      expect(resourcesAllowed(st, 's3:GetObject')).toEqual([`GETATT(${s.ids.bucket}.Arn)/runs/*/chunks.json`]);
      for (const [key, readable] of [
        ['runs/trades-0123456789abcdef/chunks.json', true],
        ['runs/trades-0123456789abcdef/chunks/00001.arrow', false],
        ['incoming/chunks.json', false],
        ['results/date=2026-12-01/trades.parquet', false],
      ] as const) {
        expect(objectsAllowed(st, 's3:GetObject').some((arn) => actionMatches(arn.slice(arn.indexOf('/') + 1), key)), key).toBe(readable);
      }
      for (const action of ['s3:PutObject', 's3:ListBucket', 's3:DeleteObject']) expect(resourcesAllowed(st, action), action).toEqual([]);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([`REF(${s.ids.stateMachine})`]);
      // The state machine's name, as CDK cuts it out of its ARN, then any execution name.
      const ownExecutions = `:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${s.ids.stateMachine}"}]}]}`;
      for (const action of ['states:DescribeExecution', 'states:StopExecution']) {
        const [only, ...others] = resourcesAllowed(st, action);
        expect(others, action).toEqual([]);
        expect(only!.endsWith(`${ownExecutions}:*`), `${action} on ${only}`).toBe(true);
      }
      const [redrive, ...more] = resourcesAllowed(st, 'states:RedriveExecution');
      expect(more).toEqual([]);
      expect(redrive!.endsWith(`${ownExecutions}/${DISTRIBUTED_MAP_LABEL}:*`), redrive).toBe(true);
    });

    it('lets the state machine invoke only score and aggregate', () => {
      const s = get(stage);
      const invoked = resourcesAllowed(statementsOf(s.template, s.ids.stateMachineRole), 'lambda:InvokeFunction');
      expect(new Set(invoked)).toEqual(
        new Set([s.ids.score, s.ids.aggregate].flatMap((id) => [`GETATT(${id}.Arn)`, `GETATT(${id}.Arn):*`])),
      );
      expect(resourcesAllowed(statementsOf(s.template, s.ids.stateMachineRole), 'sns:Publish')).toEqual([]);
    });
  });

  it('outputs the bucket, the topics, the state machine and the dead-letter queue', () => {
    const { template, ids } = get(stage);
    template.hasOutput('BucketName', { Value: { Ref: ids.bucket } });
    template.hasOutput('TopicArn', { Value: { Ref: ids.topic } });
    template.hasOutput('OpsTopicArn', { Value: { Ref: ids.opsTopic } });
    template.hasOutput('StateMachineArn', { Value: { Ref: ids.stateMachine } });
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.deadLetterQueue } });
  });

  it('gives no resource a fixed physical name except the stage-named Glue database and Athena workgroup', () => {
    const { template } = get(stage);
    /** The property that fixes a resource's physical name, by type. */
    const NAME_PROPERTY: Record<string, (p: Record<string, any>) => unknown> = {
      'AWS::S3::Bucket': (p) => p.BucketName,
      'AWS::SNS::Topic': (p) => p.TopicName,
      'AWS::SQS::Queue': (p) => p.QueueName,
      'AWS::KMS::Key': () => undefined,
      'AWS::Lambda::Function': (p) => p.FunctionName,
      'AWS::IAM::Role': (p) => p.RoleName,
      'AWS::Logs::LogGroup': (p) => p.LogGroupName,
      'AWS::StepFunctions::StateMachine': (p) => p.StateMachineName,
      'AWS::CloudWatch::Alarm': (p) => p.AlarmName,
      'AWS::CloudWatch::Dashboard': (p) => p.DashboardName,
      'AWS::Events::Rule': (p) => p.Name,
      'AWS::Scheduler::Schedule': (p) => p.Name,
      'AWS::Glue::Database': (p) => p.DatabaseInput?.Name,
      'AWS::Athena::WorkGroup': (p) => p.Name,
    };
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    const named = Object.values(resources)
      .filter((r) => NAME_PROPERTY[r.Type]?.(r.Properties ?? {}) !== undefined)
      .map((r) => `${r.Type} ${flatten(NAME_PROPERTY[r.Type]!(r.Properties ?? {}))}`);
    const dbStage = stage.replace(/-/g, '_');
    expect(named.sort()).toEqual([`AWS::Athena::WorkGroup trade-anomaly-${stage}`, `AWS::Glue::Database trade_anomaly_${dbStage}`]);
  });
});
