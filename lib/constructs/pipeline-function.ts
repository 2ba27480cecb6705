import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import type { FunctionSizing } from '../stage-config.js';

/** The repository root: handler entries, package-lock.json and node_modules are resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * parquet-wasm's Node build reads this file from beside its JS (`${__dirname}/parquet_wasm_bg.wasm`)
 * when it loads, so a bundle that includes parquet-wasm needs the file copied next to index.js.
 */
export const PARQUET_WASM_FILE = createRequire(import.meta.url).resolve('parquet-wasm/node/parquet_wasm_bg.wasm');

/**
 * The Lambda runtime of every function. Node.js 22, not the newest runtime CDK knows: the bundles
 * target node22, and the handlers' dependencies (middy 6, Powertools 2, the AWS SDK the runtime
 * provides) are the versions tested on Node 20/22. A newer runtime is a deliberate, tested upgrade.
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

export interface PipelineFunctionProps {
  /** Handler entry file under functions/, without extension, e.g. `ingest`. It exports `handler`. */
  readonly entryName: string;
  readonly sizing: FunctionSizing;
  readonly logRetention: RetentionDays;
  /** What happens to the log group when the stack is deleted. */
  readonly logRemovalPolicy: RemovalPolicy;
  readonly environment?: Record<string, string>;
  /** Absolute paths of files copied beside the bundle, for code that reads them at run time. */
  readonly filesBesideBundle?: readonly string[];
  readonly description?: string;
}

/**
 * A pipeline Lambda with the house defaults: Node.js 22 on ARM64, a minified CommonJS bundle with
 * source maps (CJS because parquet-wasm needs `__dirname`), the AWS SDK left to the runtime, X-Ray
 * tracing, its own log group with the stage's retention, and its own role that starts empty: no
 * managed policy, only the right to write its own log group; every other permission is granted by
 * the construct that wires the function. Each function states only its entry, sizing, environment
 * and extra files.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    // Instead of AWSLambdaBasicExecutionRole (logs:CreateLogGroup and PutLogEvents on every log group
    // of the account): the function's log group already exists, so it only needs to write to it.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'functions', `${props.entryName}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.sizing.memoryMb,
      timeout: Duration.seconds(props.sizing.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      description: props.description,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Stack traces map back to the .ts files without shipping the sources themselves.
        sourcesContent: false,
        // The Node.js 22 runtime provides the AWS SDK v3 clients; bundling them would add megabytes per
        // function. Only the clients: the runtime's set of @aws-sdk libraries beyond them is not
        // documented, so @aws-sdk/lib-storage (the multipart Upload of S3ObjectStore) is bundled
        // (+120 kB, measured by bench/bundle-benchmark.ts) rather than risk a missing module at cold start.
        externalModules: ['@aws-sdk/client-*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            (props.filesBesideBundle ?? []).map((file) => `cp "${sourceFor(file, inputDir)}" "${outputDir}/"`),
        },
      },
    });

    acknowledge(
      this.function,
      {
        id: 'AwsSolutions-L1',
        reason: `${FUNCTION_RUNTIME.name} is pinned on purpose (FUNCTION_RUNTIME in lib/constructs/pipeline-function.ts): the bundle targets node22 and its dependencies are tested on Node 20/22; moving to a newer runtime is a deliberate, tested upgrade.`,
      },
    );
    acknowledge(this.role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so Resource must be *.',
    });
  }
}

/**
 * inputDir is the project root locally and its mount (/asset-input) in Docker bundling, so a file inside
 * the project is addressed relative to it; one outside (a hoisted or symlinked node_modules) only by
 * its absolute path, which works for local bundling.
 */
function sourceFor(file: string, inputDir: string): string {
  const relative = path.relative(PROJECT_ROOT, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return path.posix.join(inputDir, relative.split(path.sep).join(path.posix.sep));
}
