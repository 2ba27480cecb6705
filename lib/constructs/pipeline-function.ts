import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionSizing } from '../stage-config.js';

/** The repository root: handler entries, package-lock.json and node_modules are resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * parquet-wasm's Node build reads this file from beside its JS (`${__dirname}/parquet_wasm_bg.wasm`)
 * when it loads, so a bundle that includes parquet-wasm needs the file copied next to index.js.
 */
export const PARQUET_WASM_FILE = createRequire(import.meta.url).resolve('parquet-wasm/node/parquet_wasm_bg.wasm');

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
 * tracing, and its own log group with the stage's retention. Each function states only its entry,
 * sizing, environment and extra files.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'functions', `${props.entryName}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.sizing.memoryMb,
      timeout: Duration.seconds(props.sizing.timeoutSeconds),
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
        // The Node.js 22 runtime provides AWS SDK v3; bundling it would add megabytes per function.
        externalModules: ['@aws-sdk/*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            (props.filesBesideBundle ?? []).map((file) => `cp "${sourceFor(file, inputDir)}" "${outputDir}/"`),
        },
      },
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
