/**
 * Shared by the infrastructure tests: each stage's stack synthesized in-process (without bundling:
 * test/infra/cli.test.ts runs the real CLI with bundling), and helpers that read CloudFormation JSON
 * without depending on token layout.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { loadStageConfig, type StageConfig } from '../../lib/stage-config.js';
import { TradeAnomalyStack, stackIdFor } from '../../lib/trade-anomaly-stack.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: { stages: Record<string, unknown> } & Record<string, unknown>;
};
export const STAGES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** Nothing that runs the CDK may reach for AWS or phone home. */
export const OFFLINE_ENV = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' });

export interface Synthesized {
  config: StageConfig;
  stack: TradeAnomalyStack;
  template: Template;
  /** Logical ids of the resources the tests look at. */
  ids: {
    bucket: string;
    accessLogs: string;
    topic: string;
    opsTopic: string;
    key: string;
    stateMachine: string;
    deadLetterQueue: string;
    ingest: string;
    score: string;
    aggregate: string;
    runFailed: string;
    train: string;
    arrivalCheck?: string;
    ingestRole: string;
    scoreRole: string;
    aggregateRole: string;
    runFailedRole: string;
    trainRole: string;
    arrivalCheckRole?: string;
    stateMachineRole: string;
  };
}

/** Synthesizes one stage as cdk.json configures it (or with `config` instead). No bundling. */
export function synthesize(stage: StageName, config: StageConfig = loadStageConfig(cdkJson.context.stages, stage)): Synthesized {
  const app = new App({ context: { ...cdkJson.context, stage, 'aws:cdk:bundling-stacks': [] } });
  const stack = new TradeAnomalyStack(app, stackIdFor(stage), { config });
  const id = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);
  const { ingest, score, aggregate, runFailed, stateMachine, deadLetterQueue } = stack.pipeline;
  const arrival = stack.monitoring.arrivalCheck;
  const { train } = stack.training;
  return {
    config,
    stack,
    template: Template.fromStack(stack),
    ids: {
      bucket: id(stack.storage.bucket),
      accessLogs: id(stack.storage.accessLogs),
      topic: id(stack.alerts.topic),
      opsTopic: id(stack.alerts.opsTopic),
      key: id(stack.alerts.key),
      stateMachine: id(stateMachine),
      deadLetterQueue: id(deadLetterQueue),
      ingest: id(ingest.function),
      score: id(score.function),
      aggregate: id(aggregate.function),
      runFailed: id(runFailed.function),
      train: id(train.function),
      arrivalCheck: arrival ? id(arrival.function) : undefined,
      ingestRole: id(ingest.role),
      scoreRole: id(score.role),
      aggregateRole: id(aggregate.role),
      runFailedRole: id(runFailed.role),
      trainRole: id(train.role),
      arrivalCheckRole: arrival ? id(arrival.role) : undefined,
      stateMachineRole: id(stateMachine.role),
    },
  };
}

let cache: Map<StageName, Synthesized> | undefined;

/**
 * Every stage as cdk.json configures it, synthesized once per test process: the spec files under
 * stack/ run in one process (stack.test.ts imports them all) and share these synths.
 */
export function synthesizeAll(): Map<StageName, Synthesized> {
  cache ??= new Map(STAGES.map((stage) => [stage, synthesize(stage)]));
  return cache;
}

/**
 * Flattens CloudFormation intrinsics into readable text: `{Ref: X}` -> `REF(X)`,
 * `{Fn::GetAtt: [X, Arn]}` -> `GETATT(X.Arn)`, `{Fn::Join: ['', parts]}` -> the parts joined.
 * A state machine definition (a Fn::Join of JSON text and tokens) becomes parseable JSON.
 */
export function flatten(value: unknown): string {
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

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  [key: string]: unknown;
}
export interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

export function definitionOf(s: Synthesized): Asl {
  const sm = s.template.findResources('AWS::StepFunctions::StateMachine');
  const props = sm[s.ids.stateMachine]?.Properties as { DefinitionString: unknown };
  return JSON.parse(flatten(props.DefinitionString)) as Asl;
}

/** Every state of a definition, nested ones (a Map's ItemProcessor) included. */
export function allStates(asl: Asl): AslState[] {
  return Object.values(asl.States).flatMap((st) => [st, ...(st.ItemProcessor ? allStates(st.ItemProcessor as Asl) : [])]);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the identity policies attached to a role. */
export function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => flatten(r) === `REF(${roleId})`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** IAM action matching with wildcards: `s3:GetObject*` grants `s3:GetObject`. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** The flattened resources to which the statements allow `action`. */
export function resourcesAllowed(statements: Statement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .filter((s) => [s.Action].flat().some((a) => actionMatches(a, action)))
    .flatMap((s) => [s.Resource].flat().map(flatten));
}

/** Like resourcesAllowed, restricted to object ARNs (bucket ARN + key pattern), sorted. */
export function objectsAllowed(statements: Statement[], action: string): string[] {
  return resourcesAllowed(statements, action)
    .filter((r) => r.includes('/'))
    .sort();
}

export function bucketObjects(s: Synthesized, prefix: string): string {
  return `GETATT(${s.ids.bucket}.Arn)/${prefix}*`;
}
