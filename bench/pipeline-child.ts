/**
 * The child side of the large-file benchmark (bench/large-file-benchmark.ts): one pipeline step per
 * process, against an S3 endpoint (the embedded server the parent runs), so each step's peak RSS is
 * its own, as a Lambda function's is.
 *
 *   node --import tsx bench/pipeline-child.ts --child <spec.json>
 *
 * Tasks: `ingest` (one object under incoming/), `score` (some chunks, one after another, as one warm
 * container takes them), `aggregate` (the run). The result is one line on stdout: `PIPELINE_RESULT <json>`.
 * Memory is sampled every second (process.memoryUsage()), so the report can show whether it stays flat.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createS3Client } from '../src/adapters/aws-clients.js';
import { S3ObjectStore } from '../src/adapters/s3-object-store.js';
import { ModelCache } from '../src/model/model-store.js';
import { withChunkList } from '../src/pipeline/chunk-list.js';
import type { AggregateTaskInput, ChunkSummary, ExecutionInput, ExecutionWithChunks } from '../src/pipeline/manifest.js';
import type { Alert } from '../src/ports/alert-sink.js';
import { aggregateRun } from '../src/steps/aggregate-step.js';
import { ingestObject } from '../src/steps/ingest-step.js';
import { scoreChunk } from '../src/steps/score-step.js';

export const PIPELINE_RESULT_MARKER = 'PIPELINE_RESULT ';

interface BaseSpec {
  endpoint: string;
  bucket: string;
}

export interface IngestSpec extends BaseSpec {
  task: 'ingest';
  key: string;
  chunkRows: number;
}

export interface ScoreSpec extends BaseSpec {
  task: 'score';
  execution: ExecutionWithChunks;
  /** The chunks this process scores, in this order. */
  chunkIndexes: number[];
}

export interface AggregateSpec extends BaseSpec {
  task: 'aggregate';
  input: AggregateTaskInput;
}

export type PipelineChildSpec = IngestSpec | ScoreSpec | AggregateSpec;

/** process.memoryUsage() at one moment of the step (ms from its start). */
export interface StepSample {
  ms: number;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

interface StepMeasures {
  /** Wall time of the step itself (without Node's and tsx's start-up). */
  elapsedMs: number;
  cpuMs: number;
  /** RSS before the step (Node, tsx and the modules loaded). */
  rssBeforeBytes: number;
  /** process.resourceUsage().maxRSS at the end. */
  peakRssBytes: number;
  samples: StepSample[];
}

export interface IngestResult extends StepMeasures {
  task: 'ingest';
  status: string;
  rows: number;
  /** With its chunk list, read from S3 when the run has too many chunks to carry it inline. */
  execution: ExecutionWithChunks;
}

export interface ScoreResult extends StepMeasures {
  task: 'score';
  summaries: ChunkSummary[];
  /** Per chunk, in order: its time and the process's peak RSS once it was done. */
  chunks: { index: number; rows: number; ms: number; peakRssBytes: number }[];
}

export interface AggregateResult extends StepMeasures {
  task: 'aggregate';
  rows: number;
  anomalies: number;
  result: string;
  resultBytes: number;
  alerts: number;
}

export type PipelineChildResult = IngestResult | ScoreResult | AggregateResult;

const SAMPLE_EVERY_MS = 1000;

async function measured<T>(work: () => Promise<T>): Promise<T & StepMeasures> {
  const samples: StepSample[] = [];
  const t0 = performance.now();
  const sample = (): void => {
    const m = process.memoryUsage();
    samples.push({ ms: performance.now() - t0, rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers });
  };
  sample();
  const rssBeforeBytes = samples[0].rss;
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  const cpu0 = process.cpuUsage();
  try {
    const result = await work();
    const cpu = process.cpuUsage(cpu0);
    sample();
    return { ...result, elapsedMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, rssBeforeBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, samples };
  } finally {
    clearInterval(timer);
  }
}

export async function runPipelineChild(spec: PipelineChildSpec): Promise<PipelineChildResult> {
  const client = createS3Client({ url: spec.endpoint });
  const store = new S3ObjectStore(client, spec.bucket);
  const storeFor = () => store;
  const models = new ModelCache();
  try {
    if (spec.task === 'ingest') {
      const head = await store.head(spec.key);
      if (!head) throw new Error(`s3://${spec.bucket}/${spec.key} does not exist`);
      let execution: ExecutionInput | undefined;
      return await measured(async () => {
        const outcome = await ingestObject(
          { bucket: spec.bucket, key: spec.key, etag: head.etag, size: head.size },
          {
            storeFor,
            alerts: { publish: async () => undefined },
            executions: { start: async (_name, input) => ((execution = input as ExecutionInput), true) },
            stage: 'bench',
            chunkRows: spec.chunkRows,
          },
        );
        if (outcome.status !== 'started' || !execution) throw new Error(`ingest did not start a run: ${JSON.stringify(outcome)}`);
        return { task: 'ingest' as const, status: outcome.status, rows: outcome.rows, execution: await withChunkList(store, execution) };
      });
    }
    if (spec.task === 'score') {
      const { execution } = spec;
      return await measured(async () => {
        const summaries: ChunkSummary[] = [];
        const chunks: ScoreResult['chunks'] = [];
        for (const index of spec.chunkIndexes) {
          const chunk = execution.chunks.find((c) => c.index === index);
          if (!chunk) throw new Error(`no chunk ${index} in run ${execution.runId}`);
          const t = performance.now();
          summaries.push(await scoreChunk({ runId: execution.runId, bucket: execution.bucket, manifestKey: execution.manifestKey, chunk }, { storeFor, models }));
          chunks.push({ index, rows: chunk.rows, ms: performance.now() - t, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
        }
        return { task: 'score' as const, summaries, chunks };
      });
    }
    const alerts: Alert[] = [];
    return await measured(async () => {
      const summary = await aggregateRun(spec.input, { storeFor, alerts: { publish: async (a) => void alerts.push(a) }, models, stage: 'bench' });
      const resultBytes = (await store.head(summary.result.slice(`s3://${spec.bucket}/`.length)))?.size ?? -1;
      return { task: 'aggregate' as const, rows: summary.rows, anomalies: summary.anomalies, result: summary.result, resultBytes, alerts: alerts.length };
    });
  } finally {
    client.destroy();
  }
}

const THIS_FILE = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child' && process.argv[1] !== undefined && resolve(process.argv[1]) === THIS_FILE) {
  const spec = JSON.parse(readFileSync(process.argv[3], 'utf8')) as PipelineChildSpec;
  runPipelineChild(spec).then(
    (result) => process.stdout.write(`${PIPELINE_RESULT_MARKER}${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
