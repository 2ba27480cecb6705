/**
 * The results as an Athena table: the Glue database and table over results/ (partition projection by
 * day), the workgroup, the saved example query, and the outputs that point at them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RESULT_COLUMNS, exampleQuery } from '../../../lib/constructs/results-catalog.js';
import { STAGES, flatten, synthesizeAll, type StageName, type Synthesized } from '../synth.js';

let synthesized: Map<StageName, Synthesized>;
beforeAll(() => {
  synthesized = synthesizeAll();
});
const get = (stage: StageName): Synthesized => synthesized.get(stage)!;

describe('the result table columns', () => {
  it('are the canonical fields and what scoring adds, in the types aggregate writes to Parquet', () => {
    expect(RESULT_COLUMNS.map((c) => `${c.name} ${c.type}`)).toEqual([
      'source_row int',
      'trade_id string',
      'timestamp timestamp',
      'symbol string',
      'side string',
      'quantity double',
      'price double',
      'currency string',
      'account string',
      'venue string',
      'trader string',
      'notional double',
      'score double',
      'is_anomaly boolean',
      'reasons string',
      'quality_issues array<string>',
    ]);
  });
});

describe.each(STAGES)('results catalog of %s', (stage) => {
  const database = `trade_anomaly_${stage}`;

  it('is a Glue database named for the stage with one table, results, over results/ in the data bucket', () => {
    const s = get(stage);
    s.template.resourceCountIs('AWS::Glue::Database', 1);
    s.template.resourceCountIs('AWS::Glue::Table', 1);
    s.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: database } });
    const table = Object.values(s.template.findResources('AWS::Glue::Table'))[0]!.Properties;
    expect(table.DatabaseName).toBe(database);
    expect(table.TableInput).toMatchObject({
      Name: 'results',
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'date', Type: 'string' }],
      StorageDescriptor: {
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    });
    expect(flatten(table.TableInput.StorageDescriptor.Location)).toBe(`s3://REF(${s.ids.bucket})/results/`);
    expect(table.TableInput.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(
      RESULT_COLUMNS.map((c) => [c.name, c.type]),
    );
  });

  it('projects the date partition from the key layout results/date=YYYY-MM-DD/, so a new day needs no crawler', () => {
    const s = get(stage);
    const params = Object.values(s.template.findResources('AWS::Glue::Table'))[0]!.Properties.TableInput.Parameters as Record<string, unknown>;
    expect(params).toMatchObject({
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
      'projection.date.interval': '1',
      'projection.date.interval.unit': 'DAYS',
    });
    expect(params['projection.date.range']).toMatch(/^\d{4}-\d{2}-\d{2},NOW/);
    expect(flatten(params['storage.location.template'])).toBe(`s3://REF(${s.ids.bucket})/results/date=\${date}/`);
  });

  it('has an Athena workgroup that writes query results encrypted under athena-results/, and the example query saved in it', () => {
    const s = get(stage);
    const workGroup = Object.values(s.template.findResources('AWS::Athena::WorkGroup'))[0]!.Properties;
    expect(workGroup).toMatchObject({
      Name: `trade-anomaly-${stage}`,
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
      },
    });
    expect(flatten(workGroup.WorkGroupConfiguration.ResultConfiguration.OutputLocation)).toBe(`s3://REF(${s.ids.bucket})/athena-results/`);
    s.template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Database: database,
      WorkGroup: `trade-anomaly-${stage}`,
      QueryString: exampleQuery(database, 'results'),
    });
  });

  it('outputs the database, the table, the workgroup and a ready query for the day’s anomalies', () => {
    const { template } = get(stage);
    template.hasOutput('GlueDatabase', { Value: database });
    template.hasOutput('ResultsTable', { Value: `${database}.results` });
    template.hasOutput('AthenaWorkGroup', { Value: `trade-anomaly-${stage}` });
    template.hasOutput('ExampleQuery', {
      Value:
        `SELECT source_row, trade_id, "timestamp", symbol, side, quantity, price, score, reasons, quality_issues ` +
        `FROM "${database}"."results" WHERE "date" = CAST(current_date AS varchar) AND is_anomaly ` +
        `ORDER BY score DESC NULLS LAST LIMIT 100`,
    });
  });
});
