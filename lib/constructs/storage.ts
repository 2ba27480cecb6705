import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
  /** Model versions and the models/current.json pointer. */
  models: 'models/',
} as const;

/** Working data under runs/ is only needed while a run is in flight and for a few days of debugging. */
export const RUN_DATA_EXPIRY = Duration.days(14);

export interface StorageProps {
  /** RETAIN the bucket and keep its objects on stack deletion; otherwise DESTROY it with its objects. */
  readonly retainData: boolean;
  readonly versioned: boolean;
}

/** The stage's data bucket: private, encrypted, TLS only, run data expiring. */
export class Storage extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    this.bucket = new Bucket(this, 'Data', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: props.versioned,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retainData,
      lifecycleRules: [
        {
          id: 'expire-run-data',
          prefix: PREFIXES.runs,
          expiration: RUN_DATA_EXPIRY,
          // With versioning on, expiry only adds a delete marker; this removes the data itself.
          noncurrentVersionExpiration: props.versioned ? RUN_DATA_EXPIRY : undefined,
        },
        {
          // A 10-million-row file arrives as a multipart upload; a broken one would otherwise be billed forever.
          id: 'abort-incomplete-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
  }
}
