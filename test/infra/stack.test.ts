import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageConfigError, loadStageConfig, type StageConfig } from '../../lib/stage-config.js';
import { TradeAnomalyStack, stackIdFor } from '../../lib/trade-anomaly-stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: { stages: Record<string, unknown> } & Record<string, unknown>;
};
const STAGES = ['dev', 'staging', 'prod'] as const;
type StageName = (typeof STAGES)[number];

/** Environment for anything that runs the CDK: nothing may reach for AWS or phone home. */
const OFFLINE_ENV = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' });

// ---------------------------------------------------------------------------------------------
// Synthesis: each stage once per file (bundling runs esbuild for every function).

interface Synthesized {
  config: StageConfig;
  template: Template;
  ids: {
    bucket: string;
    topic: string;
    stateMachine: string;
    ingest: string;
    score: string;
    aggregate: string;
    ingestRole: string;
    scoreRole: string;
    aggregateRole: string;
  };
}

function synthesize(stage: StageName): Synthesized {
  const app = new App({ context: { ...cdkJson.context, stage } });
  const config = loadStageConfig(cdkJson.context.stages, stage);
  const stack = new TradeAnomalyStack(app, stackIdFor(stage), { config });
  const id = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const { ingest, score, aggregate, stateMachine } = stack.pipeline;
  return {
    config,
    template: Template.fromStack(stack),
    ids: {
      bucket: id(stack.storage.bucket),
      topic: id(stack.alerts.topic),
      stateMachine: id(stateMachine),
      ingest: id(ingest.function),
      score: id(score.function),
      aggregate: id(aggregate.function),
      ingestRole: id(ingest.function.role!),
      scoreRole: id(score.function.role!),
      aggregateRole: id(aggregate.function.role!),
    },
  };
}

const synthesized = new Map<StageName, Synthesized>();
function get(stage: StageName): Synthesized {
  const s = synthesized.get(stage);
  if (!s) throw new Error(`stage ${stage} was not synthesized`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The real CLI, started first so it runs in a child process while this one synthesizes in-process.

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
}
const tempDirs: string[] = [];

function runCdkSynth(stage: string): Promise<CliResult> {
  const outDir = mkdtempSync(path.join(tmpdir(), `trade-anomaly-cdk-${stage}-`));
  tempDirs.push(outDir);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '-c', `stage=${stage}`, '--quiet', '-o', outDir], {
      cwd: ROOT,
      env: OFFLINE_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, outDir }));
  });
}

let cliDev: Promise<CliResult>;
let cliUnknownStage: Promise<CliResult>;

beforeAll(() => {
  cliDev = runCdkSynth('dev');
  cliUnknownStage = runCdkSynth('qa');
  // Keep an unawaited rejection from surfacing before the tests that await these.
  cliDev.catch(() => undefined);
  cliUnknownStage.catch(() => undefined);
  for (const stage of STAGES) synthesized.set(stage, synthesize(stage));
});

afterAll(async () => {
  await Promise.allSettled([cliDev, cliUnknownStage]);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers that read CloudFormation JSON without depending on token layout.

/**
 * Flattens CloudFormation intrinsics into readable text: `{Ref: X}` -> `REF(X)`,
 * `{Fn::GetAtt: [X, Arn]}` -> `GETATT(X.Arn)`, `{Fn::Join: ['', parts]}` -> the parts joined.
 * A state machine definition (a Fn::Join of JSON text and tokens) becomes parseable JSON.
 */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `REF(${String(v.Ref)})`;
  if ('Fn::GetAtt' in v) return `GETATT(${(v['Fn::GetAtt'] as string[]).join('.')})`;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  return JSON.stringify(value);
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  [key: string]: unknown;
}
interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

function definitionOf(s: Synthesized): Asl {
  const sm = s.template.findResources('AWS::StepFunctions::StateMachine');
  const props = sm[s.ids.stateMachine]?.Properties as { DefinitionString: unknown };
  return JSON.parse(flatten(props.DefinitionString)) as Asl;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the identity policies attached to a role. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => flatten(r) === `REF(${roleId})`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** IAM action matching with wildcards: `s3:GetObject*` grants `s3:GetObject`. */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** The flattened resources to which the statements allow `action`. */
function resourcesAllowed(statements: Statement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .filter((s) => [s.Action].flat().some((a) => actionMatches(a, action)))
    .flatMap((s) => [s.Resource].flat().map(flatten));
}

/**
 * Like resourcesAllowed, for object-level actions: CDK's grantRead puts object and bucket actions in one
 * statement, so the bucket ARN shows up there too, but object actions can only apply to object ARNs.
 */
function objectsAllowed(statements: Statement[], action: string): string[] {
  return resourcesAllowed(statements, action)
    .filter((r) => r.includes('/'))
    .sort();
}

function bucketObjects(s: Synthesized, prefix: string): string {
  return `GETATT(${s.ids.bucket}.Arn)/${prefix}*`;
}

// ---------------------------------------------------------------------------------------------

describe.each(STAGES)('stack for %s', (stage) => {
  const isProd = stage === 'prod';

  describe('data bucket', () => {
    it('is the only bucket, S3-encrypted, with every public access blocked', () => {
      const { template } = get(stage);
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    });

    it('denies every request that does not use TLS', () => {
      const { template, ids } = get(stage);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it(isProd ? 'is versioned and retained on stack deletion' : 'is unversioned and deleted with its objects', () => {
      const { template } = get(stage);
      template.hasResource('AWS::S3::Bucket', {
        Properties: {
          VersioningConfiguration: isProd ? { Status: 'Enabled' } : Match.absent(),
        },
        DeletionPolicy: isProd ? 'Retain' : 'Delete',
        UpdateReplacePolicy: isProd ? 'Retain' : 'Delete',
      });
      template.resourceCountIs('Custom::S3AutoDeleteObjects', isProd ? 0 : 1);
    });

    it('expires run data under runs/ after 14 days', () => {
      get(stage).template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 14, Status: 'Enabled' }),
          ]),
        },
      });
    });

    it('invokes ingest on every ObjectCreated event under incoming/', () => {
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
          ],
        },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.ingest, 'Arn'] },
        Principal: 's3.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ids.bucket, 'Arn'] },
      });
    });
  });

  describe('functions', () => {
    it('are three pipeline functions on Node.js 22, ARM64, traced, sized from config', () => {
      const { template, ids, config } = get(stage);
      const functions = template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { STAGE: stage } } },
      });
      expect(Object.keys(functions).sort()).toEqual([ids.aggregate, ids.ingest, ids.score].sort());
      for (const [name, id] of [
        ['ingest', ids.ingest],
        ['score', ids.score],
        ['aggregate', ids.aggregate],
      ] as const) {
        expect(functions[id]?.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: config.functions[name].memoryMb,
          Timeout: config.functions[name].timeoutSeconds,
          TracingConfig: { Mode: 'Active' },
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', STAGE: stage } },
        });
      }
    });

    it('log to their own log groups with the stage retention', () => {
      const { template, ids, config } = get(stage);
      const functions = template.findResources('AWS::Lambda::Function');
      const logGroups = template.findResources('AWS::Logs::LogGroup');
      for (const id of [ids.ingest, ids.score, ids.aggregate]) {
        const groupRef = functions[id]?.Properties.LoggingConfig.LogGroup as { Ref: string };
        expect(logGroups[groupRef.Ref]).toMatchObject({
          Properties: { RetentionInDays: config.logRetentionDays },
          DeletionPolicy: isProd ? 'Retain' : 'Delete',
        });
      }
    });

    it('get the environment the handlers read', () => {
      const { template, ids, config } = get(stage);
      const env = (id: string) =>
        template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables as Record<
          string,
          unknown
        >;
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
      });
    });

    it('alerts when ingest itself fails after the asynchronous retries', () => {
      const { template, ids } = get(stage);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.ingest },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { Ref: ids.topic } } },
      });
    });
  });

  describe('state machine', () => {
    it('is a Standard state machine with full logging and tracing', () => {
      const { template } = get(stage);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
    });

    it('maps over $.chunks with the stage concurrency, passing each chunk with the run keys', () => {
      const s = get(stage);
      const asl = definitionOf(s);
      const map = asl.States[asl.StartAt];
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.chunks',
        MaxConcurrency: s.config.mapConcurrency,
        ResultPath: '$.scored',
        ItemSelector: {
          'runId.$': '$.runId',
          'bucket.$': '$.bucket',
          'manifestKey.$': '$.manifestKey',
          'chunk.$': '$$.Map.Item.Value',
        },
      });
    });

    it('scores each chunk with the score function, retried per the stage policy', () => {
      const s = get(stage);
      const asl = definitionOf(s);
      const processor = asl.States[asl.StartAt]?.ItemProcessor as Asl;
      const scoreTask = processor.States[processor.StartAt];
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
      const aggregate = asl.States[asl.States[asl.StartAt]?.Next ?? ''];
      expect(aggregate).toMatchObject({
        Type: 'Task',
        Resource: `GETATT(${s.ids.aggregate}.Arn)`,
        ResultPath: '$.summary',
        End: true,
      });
      // No Parameters/InputPath: the handler receives { runId, bucket, manifestKey, input, chunks, scored }.
      expect(aggregate?.InputPath).toBeUndefined();
      expect(aggregate?.Parameters).toBeUndefined();
    });

    it('catches any failure of the map or aggregate, alerts on SNS, then fails', () => {
      const s = get(stage);
      const asl = definitionOf(s);
      const map = asl.States[asl.StartAt]!;
      const aggregate = asl.States[map.Next!]!;
      const catchers = [map.Catch, aggregate.Catch] as Array<Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>>;
      for (const catcher of catchers) {
        expect(catcher).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: catchers[0]![0]!.Next }]);
      }

      // Follow the failure path to the SNS publish and past it.
      const path: AslState[] = [];
      for (let name: string | undefined = catchers[0]![0]!.Next; name; name = asl.States[name]?.Next) {
        path.push(asl.States[name]!);
      }
      const publish = path.find((st) => st.Type === 'Task' && String(st.Resource).endsWith(':states:::sns:publish'));
      expect(publish).toBeDefined();
      expect(publish?.Parameters).toMatchObject({
        TopicArn: `REF(${s.ids.topic})`,
        Subject: `trade-anomaly ${stage}: run failed`,
        'Message.$': 'States.JsonToString($.alert)',
      });
      const describeFailure = path[path.indexOf(publish!) - 1];
      expect(describeFailure?.Parameters).toMatchObject({
        kind: 'run-failed',
        stage,
        'runId.$': '$.runId',
        'input.$': '$.input',
        'error.$': '$.error',
      });
      expect(path.at(-1)?.Type).toBe('Fail');
    });
  });

  describe('alerts', () => {
    it('subscribes the stage emails to a TLS-only topic', () => {
      const { template, ids, config } = get(stage);
      template.resourceCountIs('AWS::SNS::Topic', 1);
      template.resourceCountIs('AWS::SNS::Subscription', config.alertEmails.length);
      expect(config.alertEmails.length).toBeGreaterThan(0);
      for (const email of config.alertEmails) {
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
          TopicArn: { Ref: ids.topic },
        });
      }
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('least privilege', () => {
    it('lets ingest read incoming/ and models/, write runs/ and rejected/, start the run and alert', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.ingestRole);
      // runs/ and rejected/ are read for the idempotency checks.
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(
        ['incoming/', 'models/', 'rejected/', 'runs/'].map((p) => bucketObjects(s, p)),
      );
      expect(objectsAllowed(st, 's3:PutObject')).toEqual(['rejected/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(resourcesAllowed(st, 's3:ListBucket')).toContain(`GETATT(${s.ids.bucket}.Arn)`);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([`REF(${s.ids.stateMachine})`]);
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([`REF(${s.ids.topic})`]);
    });

    it('lets score read runs/ and models/ and write runs/ only, with no SNS', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.scoreRole);
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(['models/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(objectsAllowed(st, 's3:PutObject')).toEqual([bucketObjects(s, 'runs/')]);
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([]);
      expect(resourcesAllowed(st, 'states:StartExecution')).toEqual([]);
    });

    it('lets aggregate read runs/ and models/, write results/, reports/ and the run summary under runs/, and alert', () => {
      const s = get(stage);
      const st = statementsOf(s.template, s.ids.aggregateRole);
      expect(objectsAllowed(st, 's3:GetObject')).toEqual(['models/', 'runs/'].map((p) => bucketObjects(s, p)));
      expect(resourcesAllowed(st, 's3:ListBucket')).toContain(`GETATT(${s.ids.bucket}.Arn)`);
      expect(objectsAllowed(st, 's3:PutObject')).toEqual(
        ['reports/', 'results/', 'runs/'].map((p) => bucketObjects(s, p)),
      );
      expect(resourcesAllowed(st, 'sns:Publish')).toEqual([`REF(${s.ids.topic})`]);
    });

    it('never lets a function change or delete an input file', () => {
      const s = get(stage);
      for (const role of [s.ids.ingestRole, s.ids.scoreRole, s.ids.aggregateRole]) {
        const st = statementsOf(s.template, role);
        for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
          const resources = objectsAllowed(st, action);
          expect(resources).not.toContain(bucketObjects(s, 'incoming/'));
          expect(resources).not.toContain(bucketObjects(s, ''));
        }
      }
    });
  });

  it('outputs the bucket name, topic ARN and state machine ARN', () => {
    const { template, ids } = get(stage);
    template.hasOutput('BucketName', { Value: { Ref: ids.bucket } });
    template.hasOutput('TopicArn', { Value: { Ref: ids.topic } });
    template.hasOutput('StateMachineArn', { Value: { Ref: ids.stateMachine } });
  });
});

// ---------------------------------------------------------------------------------------------

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

  it('passes the stage schema to ingest as TRADE_SCHEMA', () => {
    // Bundling is skipped for this synth: only the environment is under test.
    const app = new App({ context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] } });
    const config = loadStageConfig(withDev((dev) => (dev.schemaFile = 'schemas/binance-spot-trades.yaml')), 'dev');
    const stack = new TradeAnomalyStack(app, 'SchemaStack', { config });
    const ingestId = stack.getLogicalId(stack.pipeline.ingest.function.node.defaultChild as CfnElement);
    const env = Template.fromStack(stack).findResources('AWS::Lambda::Function')[ingestId].Properties.Environment.Variables as Record<string, string>;
    expect(JSON.parse(env.TRADE_SCHEMA)).toEqual(JSON.parse(config.schemaJson!));
  });

  it('loads every stage in cdk.json; only prod retains and versions its data', () => {
    const loaded = STAGES.map((stage) => loadStageConfig(stages, stage));
    expect(loaded.map((c) => [c.stage, c.retainData, c.versioned])).toEqual([
      ['dev', false, false],
      ['staging', false, false],
      ['prod', true, true],
    ]);
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

  it('names the known stages when the stage is unknown', () => {
    expect(() => loadStageConfig(stages, 'qa')).toThrow(
      'Unknown stage "qa": known stages are dev, staging, prod',
    );
  });

  it('refuses a prod that would lose data', () => {
    const prod = { ...(stages.prod as Record<string, unknown>), retainData: false, versioned: false };
    expect(() => loadStageConfig({ ...stages, prod }, 'prod')).toThrow(
      /retainData must be true for prod[\s\S]*versioned must be true for prod/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('cdk CLI', () => {
  it('synthesizes dev offline, with parquet-wasm beside the aggregate bundle only', async () => {
    const result = await cliDev;
    expect(result.code, result.stderr).toBe(0);

    const template = JSON.parse(
      readFileSync(path.join(result.outDir, `${stackIdFor('dev')}.template.json`), 'utf8'),
    ) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    const assetOf = (fn: string) => {
      const resource = Object.values(template.Resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          r.Metadata?.['aws:cdk:path'] === `${stackIdFor('dev')}/Pipeline/${fn}/Function/Resource`,
      );
      const assetPath = resource?.Metadata?.['aws:asset:path'];
      expect(assetPath, `asset of ${fn}`).toBeDefined();
      return path.join(result.outDir, assetPath!);
    };

    const aggregate = assetOf('Aggregate');
    expect(existsSync(path.join(aggregate, 'index.js'))).toBe(true);
    expect(existsSync(path.join(aggregate, 'index.js.map'))).toBe(true);
    expect(existsSync(path.join(aggregate, 'parquet_wasm_bg.wasm'))).toBe(true);
    for (const fn of ['Ingest', 'Score']) {
      expect(existsSync(path.join(assetOf(fn), 'index.js'))).toBe(true);
      expect(existsSync(path.join(assetOf(fn), 'parquet_wasm_bg.wasm'))).toBe(false);
    }
  });

  it('fails on an unknown stage with a message listing the known ones', async () => {
    const result = await cliUnknownStage;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown stage "qa": known stages are dev, staging, prod');
  });
});
