import { Aws } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PREFIXES } from './storage.js';

/**
 * The result table's columns: the canonical trade fields and what scoring adds, in the Parquet types
 * aggregate writes (docs/architecture.md, "Scored chunk / result"). Columns a file carries beyond the
 * canonical ones vary by file and are not declared; Athena reads Parquet by column name, so an
 * optional field a file lacks reads as NULL.
 */
export const RESULT_COLUMNS: ReadonlyArray<{ name: string; type: string; comment: string }> = [
  { name: 'source_row', type: 'int', comment: '1-based data-row number in the input file' },
  { name: 'trade_id', type: 'string', comment: 'trade id as read' },
  { name: 'timestamp', type: 'timestamp', comment: 'trade time, UTC' },
  { name: 'symbol', type: 'string', comment: '' },
  { name: 'side', type: 'string', comment: 'BUY or SELL' },
  { name: 'quantity', type: 'double', comment: '' },
  { name: 'price', type: 'double', comment: '' },
  { name: 'currency', type: 'string', comment: 'optional' },
  { name: 'account', type: 'string', comment: 'optional' },
  { name: 'venue', type: 'string', comment: 'optional' },
  { name: 'trader', type: 'string', comment: 'optional' },
  { name: 'notional', type: 'double', comment: 'optional' },
  { name: 'score', type: 'double', comment: 'anomaly score in [0, 1], higher is more anomalous; NULL where not scored' },
  { name: 'is_anomaly', type: 'boolean', comment: 'a data-quality rule broken, or score at or above the model threshold' },
  { name: 'reasons', type: 'string', comment: 'why the row was flagged, for people' },
  { name: 'quality_issues', type: 'array<string>', comment: 'codes of the data-quality rules the row broke' },
];

/** The partition column: results/date=<YYYY-MM-DD>/, the trading day of the file. */
export const PARTITION_COLUMN = 'date';
/** Earliest trading day the projection covers; NOW+1DAYS allows a day ahead of UTC (Asian sessions). */
export const PARTITION_RANGE = '2000-01-01,NOW+1DAYS';

export interface ResultsCatalogProps {
  readonly stage: string;
  readonly bucket: IBucket;
}

/**
 * The results as an Athena table: a Glue database and table over results/ with partition projection by
 * day (no crawler, no MSCK REPAIR: a new day's file is queryable as soon as aggregate writes it), and an
 * Athena workgroup that writes query results, encrypted, under athena-results/ (expiring) with the
 * example query saved in it.
 *
 * Glue database and Athena workgroup names are physical names, so they carry the stage: stages share an
 * account, and the stack (one per stage per region) already makes a stage unique.
 */
export class ResultsCatalog extends Construct {
  readonly databaseName: string;
  readonly tableName = 'results';
  readonly workGroupName: string;
  /** A query for the day's anomalies, ready to run in the workgroup. */
  readonly exampleQuery: string;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly workGroup: CfnWorkGroup;

  constructor(scope: Construct, id: string, props: ResultsCatalogProps) {
    super(scope, id);
    this.databaseName = `trade_anomaly_${props.stage.replace(/-/g, '_')}`;
    this.workGroupName = `trade-anomaly-${props.stage}`;
    const resultsLocation = `s3://${props.bucket.bucketName}/${PREFIXES.results}`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: `trade-anomaly ${props.stage}: scored trades, one Parquet file per input file`,
      },
    });

    this.table = new CfnTable(this, 'ResultsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'Every input row with its score, flag, reasons and data-quality issues (results/date=<day>/<file>.parquet)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          'projection.enabled': 'true',
          [`projection.${PARTITION_COLUMN}.type`]: 'date',
          [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
          [`projection.${PARTITION_COLUMN}.range`]: PARTITION_RANGE,
          [`projection.${PARTITION_COLUMN}.interval`]: '1',
          [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
          'storage.location.template': `${resultsLocation}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
        },
        partitionKeys: [{ name: PARTITION_COLUMN, type: 'string', comment: 'trading day of the file, YYYY-MM-DD' }],
        storageDescriptor: {
          location: resultsLocation,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            parameters: { 'serialization.format': '1' },
          },
          columns: RESULT_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment || undefined })),
        },
      },
    });
    this.table.addResourceDependency(this.database, 'the table lives in the database');

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `trade-anomaly ${props.stage}: queries over the results table`,
      // Deleting the stack deletes the workgroup even when it holds saved queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${PREFIXES.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.exampleQuery = exampleQuery(this.databaseName, this.tableName);
    const saved = new CfnNamedQuery(this, 'AnomaliesOfTheDay', {
      name: "Today's anomalies",
      description: 'Flagged trades of the current UTC day, worst first; replace CAST(current_date AS varchar) with a day such as \'2026-12-01\' for another',
      database: this.databaseName,
      workGroup: this.workGroupName,
      queryString: this.exampleQuery,
    });
    saved.addResourceDependency(this.workGroup, 'the query is saved in the workgroup');
    saved.addResourceDependency(this.database, 'the query runs against the database');
  }
}

/** The example query: the day's anomalies, worst first. `timestamp` and `date` are quoted: both are SQL keywords. */
export function exampleQuery(database: string, table: string, day = 'CAST(current_date AS varchar)'): string {
  return (
    `SELECT source_row, trade_id, "timestamp", symbol, side, quantity, price, score, reasons, quality_issues ` +
    `FROM "${database}"."${table}" WHERE "${PARTITION_COLUMN}" = ${day} AND is_anomaly ` +
    `ORDER BY score DESC NULLS LAST LIMIT 100`
  );
}
