import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable, type Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, arnToken } from '../nag.js';

/** Where the pipeline keeps each kind of object in the data bucket. */
export const PREFIXES = {
  /** Files dropped here start a run. */
  incoming: 'incoming/',
  /** Per-run working data: chunks, context, manifest, scored chunks. Expires. */
  runs: 'runs/',
  /** The Parquet results, one per input file, partitioned by day (results/date=<day>/). */
  results: 'results/',
  /** Each run's summary and report (reports/date=<day>/<file>/). */
  reports: 'reports/',
  /** Bad input files with their error reports. */
  rejected: 'rejected/',
  /** Model versions, the models/current.json pointer and the promotion history. */
  models: 'models/',
  /** Files dropped here train a new model version (not promoted). */
  training: 'training/',
  /** Analysts' feedback files (CSV): verdicts on flagged trades, read by every run's aggregate. */
  feedback: 'feedback/',
  /** Athena's query results for the stage's workgroup. Expires. */
  athenaResults: 'athena-results/',
} as const;
export type Prefix = keyof typeof PREFIXES;

/** Working data under runs/ is only needed while a run is in flight and for a few days of debugging. */
export const RUN_DATA_EXPIRY = Duration.days(14);
/** Athena writes every query's result as a file; they are only read right after the query. */
export const ATHENA_RESULTS_EXPIRY = Duration.days(30);
/** With versioning on, an overwritten or deleted object stays recoverable this long. */
export const NONCURRENT_VERSION_EXPIRY = Duration.days(90);

/** What the keys under each prefix look like, for the acknowledgements of prefix grants. */
const PREFIX_KEYS: Record<Prefix, string> = {
  incoming: 'named by whoever delivers the files',
  runs: 'runs/<runId>/... (chunks, duplicates, context, manifest, scored chunks, the staged result, summary), one folder per run',
  results: 'results/date=<day>/<file>.parquet, one per input file',
  reports: 'reports/date=<day>/<file>/summary.json, one per input file',
  rejected: 'rejected/<file> and <file>.error.json, one pair per rejected file',
  models: 'models/<version>/model.json and metadata.json, one folder per trained version (beside the models/current.json pointer and models/history/)',
  training: 'named by whoever delivers the training files',
  feedback: 'feedback/<name>.csv, named by the analysts who write them',
  athenaResults: "Athena's query result files",
};

/**
 * Object-level S3 actions the pipeline's functions use; each grant names the exact ones.
 * s3:PutObject also covers a multipart upload's create, parts and completion; aborting one is its own.
 */
export type ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:AbortMultipartUpload';

export interface StorageProps {
  /** RETAIN the buckets and keep their objects on stack deletion; otherwise DESTROY them with their objects. */
  readonly retainData: boolean;
  readonly versioned: boolean;
  /** How long the server access logs are kept: the stage's log retention. */
  readonly logRetention: RetentionDays;
}

/**
 * The stage's data bucket (private, encrypted, TLS only, versioned where configured, intermediate data
 * expiring, every request logged) and the bucket its access logs go to.
 */
export class Storage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
      autoDeleteObjects: !props.retainData,
      lifecycleRules:
        props.logRetention === RetentionDays.INFINITE ? [] : [{ id: 'expire-access-logs', expiration: Duration.days(props.logRetention) }],
    });

    const lifecycleRules: LifecycleRule[] = [
      {
        id: 'expire-run-data',
        prefix: PREFIXES.runs,
        expiration: RUN_DATA_EXPIRY,
        // With versioning on, expiry only adds a delete marker; this removes the data itself.
        noncurrentVersionExpiration: props.versioned ? RUN_DATA_EXPIRY : undefined,
      },
      {
        id: 'expire-athena-results',
        prefix: PREFIXES.athenaResults,
        expiration: ATHENA_RESULTS_EXPIRY,
        noncurrentVersionExpiration: props.versioned ? ATHENA_RESULTS_EXPIRY : undefined,
      },
      {
        // A 10-million-row file arrives as a multipart upload; a broken one would otherwise be billed forever.
        id: 'abort-incomplete-uploads',
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ];
    if (props.versioned) {
      lifecycleRules.push({
        // Versions replaced by a re-run (results/, reports/) or a promotion (models/current.json).
        id: 'expire-noncurrent-versions',
        noncurrentVersionExpiration: NONCURRENT_VERSION_EXPIRY,
        expiredObjectDeleteMarker: true,
      });
    }

    this.bucket = new Bucket(this, 'Data', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: props.versioned,
      removalPolicy,
      autoDeleteObjects: !props.retainData,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules,
    });
  }

  /**
   * Grants exactly the listed actions on the objects under each prefix, one statement per prefix, and
   * acknowledges cdk-nag's finding for each prefix wildcard on the grantee's role with what the role
   * does there.
   */
  grantObjectAccess(role: Role, access: ReadonlyArray<{ prefix: Prefix; keys?: string; actions: readonly ObjectAction[]; why: string }>): void {
    for (const { prefix, keys = '*', actions, why } of access) {
      // keys narrows the grant below the prefix, e.g. '*/scored/*' for runs/<runId>/scored/<n>.arrow.
      const pattern = `${PREFIXES[prefix]}${keys}`;
      role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: [this.bucket.arnForObjects(pattern)] }));
      acknowledge(role, {
        id: `AwsSolutions-IAM5[Resource::${arnToken(this.bucket)}/${pattern}]`,
        reason: `Keys under ${PREFIXES[prefix]} are ${PREFIX_KEYS[prefix]}, not known when the role is made, so the grant is by key pattern and names its actions: ${actions.join(' and ')} on ${pattern} because ${why}.`,
      });
    }
  }

  /**
   * s3:ListBucket on the bucket. S3 answers a GET or HEAD of a missing key with 404 only to a caller
   * that may list the bucket (otherwise 403), and the pipeline relies on "not found": the idempotency
   * checks (manifest, rejection report), ModelNotFoundError. Listing reveals key names, not contents.
   */
  grantList(grantee: IGrantable, onlyPrefix?: Prefix): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        // A prefix condition would turn a missing key's 404 into 403, so only a pure lister gets one.
        conditions: onlyPrefix ? { StringLike: { 's3:prefix': [`${PREFIXES[onlyPrefix]}*`] } } : undefined,
      }),
    );
  }
}
