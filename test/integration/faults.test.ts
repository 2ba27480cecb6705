import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3Client, S3_RETRY } from '../../src/adapters/aws-clients.js';
import { S3ObjectStore, S3RequestError } from '../../src/adapters/s3-object-store.js';
import { EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { runLocal, type LocalRunOptions } from '../../src/local/local-run.js';
import { RunFailedError } from '../../src/local/local-state-machine.js';
import type { AnomalyModel } from '../../src/model/anomaly-model.js';
import { ModelCache, saveModelToDir, saveModelToStore } from '../../src/model/model-store.js';
import { scoredChunkKey, type ExecutionInput, type Manifest } from '../../src/pipeline/manifest.js';
import type { Alert } from '../../src/ports/alert-sink.js';
import { getJson, type ObjectStore } from '../../src/ports/object-store.js';
import { ingestObject, type IngestDeps, type IngestOutcome } from '../../src/steps/ingest-step.js';
import { scoreChunk } from '../../src/steps/score-step.js';
import { generateDays, tempDir, trainOn } from '../support/fixtures.js';

/**
 * Faults outside the code: S3 throttling and transient errors (a proxy on loopback answers some
 * requests with 503 SlowDown before they reach the embedded S3), and a rerun after a run that failed
 * for good. Complements test/e2e/local-run.test.ts (a chunk failing once or for good, a worker
 * thread dying). What each test backs is listed in docs/reliability.md.
 */

const SLOW_DOWN_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>PROXY</RequestId><HostId>proxy</HostId></Error>';

/** Which requests (1-based, counted since the last reset) the proxy throttles. */
type ThrottlePolicy = (request: number) => boolean;

/**
 * An HTTP proxy on loopback in front of the embedded S3: a request the policy picks is answered
 * 503 SlowDown (S3's throttling reply) after its body is read; any other is passed through, headers
 * and all (the SigV4 signature covers the Host header, which stays the proxy's, as the client signed).
 */
class ThrottlingProxy {
  requests = 0;
  throttled = 0;
  private policy: ThrottlePolicy = () => false;

  private constructor(
    private readonly server: http.Server,
    private readonly agent: http.Agent,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<ThrottlingProxy> {
    const agent = new http.Agent({ keepAlive: true });
    let proxy: ThrottlingProxy | undefined;
    const server = http.createServer((req, res) => proxy!.handle(req, res, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new ThrottlingProxy(server, agent, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  reset(policy: ThrottlePolicy): void {
    this.policy = policy;
    this.requests = 0;
    this.throttled = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, target: string): void {
    const n = ++this.requests;
    if (this.policy(n)) {
      this.throttled++;
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'x-amz-request-id': `proxy-${n}` });
        res.end(req.method === 'HEAD' ? undefined : SLOW_DOWN_XML);
      });
      return;
    }
    // Node's server has already answered "100 Continue" to the client; s3rver need not see the header.
    const { expect: _continue, ...headers } = req.headers;
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers, agent: this.agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => res.destroy(e));
    req.pipe(upstream);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const KEY = 'incoming/trades-throttled.csv';

const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('S3 requests under throttling (503 SlowDown from a proxy in front of the embedded S3)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: EmbeddedS3;
  let direct: ObjectStore;
  let proxy: ThrottlingProxy;
  let client: S3Client;
  let throttled: S3ObjectStore;
  let model: AnomalyModel;
  let dayCsv: Uint8Array;
  let cleanRun: ExecutionInput;

  beforeAll(async () => {
    tmp = await tempDir('faults-s3');
    const days = await generateDays(tmp.dir, { rows: 1200, seed: 31, day: '2026-12-01', historyDays: 1 });
    model = await trainOn(days.history.map((h) => h.path));
    dayCsv = new Uint8Array(await readFile(days.day.path));
    s3 = await EmbeddedS3.start(path.join(tmp.dir, 's3'));
    direct = s3.store();
    await saveModelToStore(direct, model, true);
    proxy = await ThrottlingProxy.start(s3.endpoint);
    client = createS3Client({ url: proxy.url });
    throttled = new S3ObjectStore(client, s3.bucket);
    // The reference: the same file ingested straight into the embedded S3.
    await direct.put('incoming/trades-clean.csv', dayCsv);
    cleanRun = (await ingestAs('incoming/trades-clean.csv', direct)).started[0];
  });

  afterAll(async () => {
    client?.destroy();
    await proxy?.stop();
    await s3?.stop();
    await tmp?.cleanup();
  });

  // The SDK waits random() x min(1 s x 2^retry, 20 s) before a throttled retry (full jitter): up to
  // 15 s over 5 attempts. Pinning random() low keeps these tests to milliseconds; the strategy, the
  // error classification and the attempt count are the production client's.
  beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0.01));
  afterEach(() => vi.restoreAllMocks());

  function ingestDeps(store: ObjectStore, alerts: Alert[], started: ExecutionInput[]): IngestDeps {
    return {
      storeFor: () => store,
      alerts: { publish: async (a) => void alerts.push(a) },
      executions: { start: async (_name, input) => (started.push(input as ExecutionInput), true) },
      stage: 'test',
      chunkRows: 400,
    };
  }

  async function ingestAs(key: string, store: ObjectStore): Promise<{ outcome: IngestOutcome; alerts: Alert[]; started: ExecutionInput[] }> {
    const head = (await direct.head(key))!;
    const alerts: Alert[] = [];
    const started: ExecutionInput[] = [];
    const outcome = await ingestObject({ bucket: s3.bucket, key, etag: head.etag, size: head.size }, ingestDeps(store, alerts, started));
    return { outcome, alerts, started };
  }

  /** Each chunk's sha256: equal digests, equal bytes (and far faster to compare than the bytes). */
  async function chunkBytes(execution: ExecutionInput): Promise<string[]> {
    return Promise.all(execution.chunks!.map(async (c) => digest(await direct.get(c.key))));
  }

  it('sets the retry behaviour in code: standard mode, 5 attempts, whatever AWS_MAX_ATTEMPTS or AWS_RETRY_MODE say', async () => {
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    vi.stubEnv('AWS_RETRY_MODE', 'adaptive');
    try {
      for (const c of [createS3Client(), createS3Client({ url: s3.endpoint })]) {
        const strategy = await c.config.retryStrategy();
        // RetryStrategyV2 does not declare the mode its implementations carry.
        const mode = 'mode' in strategy ? strategy.mode : undefined;
        expect([await c.config.maxAttempts(), mode]).toEqual([S3_RETRY.maxAttempts, S3_RETRY.retryMode]);
        c.destroy();
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('retries throttled requests: a put and a get succeed when the first two requests are answered 503 SlowDown', async () => {
    proxy.reset((n) => n <= 2);

    await throttled.put('runs/throttled/object.bin', new Uint8Array([1, 2, 3]));
    const back = await throttled.get('runs/throttled/object.bin');

    expect(Array.from(back)).toEqual([1, 2, 3]);
    expect({ requests: proxy.requests, throttled: proxy.throttled }).toEqual({ requests: 4, throttled: 2 });
  });

  it('ingests and scores a file while every third request is throttled: the same chunks and scores as without throttling', async () => {
    await direct.put(KEY, dayCsv);

    proxy.reset((n) => n % 3 === 0);
    const slow = await ingestAs(KEY, throttled);
    const runs = [cleanRun, slow.started[0]];
    const scored = await Promise.all(
      runs.map(async (run, i) => {
        const store = i === 0 ? direct : throttled;
        const models = new ModelCache();
        for (const chunk of run.chunks!) await scoreChunk({ runId: run.runId, bucket: run.bucket, manifestKey: run.manifestKey, chunk }, { storeFor: () => store, models });
        return Promise.all(run.chunks!.map(async (c) => digest(await direct.get(scoredChunkKey(run.runId, c.index)))));
      }),
    );

    expect(proxy.throttled).toBeGreaterThan(5);
    expect(slow.outcome).toMatchObject({ status: 'started', rows: 1200, chunks: 3 });
    expect(slow.alerts).toEqual([]);
    expect(await chunkBytes(slow.started[0])).toEqual(await chunkBytes(cleanRun));
    expect(scored[1]).toEqual(scored[0]);
  });

  it('gives up on a lasting 503 after 5 attempts, with an error naming the request and the object, without hanging', async () => {
    proxy.reset(() => true);
    const began = Date.now();

    const failure = await throttled.get('runs/throttled/object.bin').catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(S3RequestError);
    expect((failure as S3RequestError).message).toBe(
      `S3 GetObject s3://${s3.bucket}/runs/throttled/object.bin failed after 5 attempts: SlowDown (HTTP 503): Please reduce your request rate.`,
    );
    expect(proxy.requests).toBe(S3_RETRY.maxAttempts);
    expect(Date.now() - began).toBeLessThan(5_000);
    // A throttled HEAD is a failure too, never "the object does not exist" (the idempotency checks read heads).
    await expect(throttled.head(KEY)).rejects.toThrow(/^S3 HeadObject .* failed after 5 attempts: .*\(HTTP 503\)/);
    expect(proxy.requests).toBe(2 * S3_RETRY.maxAttempts);
  });

  it('fails ingest on a lasting 503 (for Lambda to retry): no rejection, no alert; a retry once S3 recovers ingests the file', async () => {
    const key = 'incoming/trades-outage.csv';
    await direct.put(key, dayCsv);
    // Requests 6 to 10 (5 attempts of one request): the first chunk is written, the second is refused.
    proxy.reset((n) => n >= 6 && n <= 10);
    const failed = await ingestAs(key, throttled).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(S3RequestError);
    expect(await direct.list('rejected/')).toEqual([]);
    // The manifest is written last: an ingest that stopped half-way left none, so the retry starts over.
    const written = (await direct.list('runs/')).filter((k) => k.includes('trades-outage'));
    expect(written.filter((k) => k.includes('/chunks/'))).toHaveLength(1);
    expect(written.some((k) => k.endsWith('manifest.json'))).toBe(false);

    proxy.reset(() => false);
    const retried = await ingestAs(key, throttled);
    expect(retried.outcome).toMatchObject({ status: 'started', rows: 1200 });
    expect(retried.alerts).toEqual([]);
    expect(await chunkBytes(retried.started[0])).toEqual(await chunkBytes(cleanRun));
    expect((await getJson<Manifest>(direct, retried.started[0].manifestKey)).rows).toBe(1200);
  });
});

function runIdOf(outcome: IngestOutcome): string {
  if (outcome.status === 'ignored') throw new Error(`ignored: ${outcome.reason}`);
  return outcome.runId;
}

describe('a local rerun after a run that failed for good', () => {
  const ROWS = 2400;
  const CHUNK_ROWS = 800;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let file: string;
  let modelDir: string;
  let otherModelDir: string;
  let modelVersion: string;
  let otherVersion: string;

  beforeAll(async () => {
    tmp = await tempDir('faults-rerun');
    const days = await generateDays(tmp.dir, { rows: ROWS, seed: 37, day: '2026-12-01', historyDays: 1 });
    file = days.day.path;
    const model = await trainOn(days.history.map((h) => h.path));
    modelVersion = model.version;
    modelDir = path.join(tmp.dir, 'model');
    await saveModelToDir(modelDir, model);
    // Another model, as a user might bring to the rerun: the pinned run must not switch to it.
    otherModelDir = path.join(tmp.dir, 'other-model');
    const other = await trainOn([file]);
    otherVersion = other.version;
    await saveModelToDir(otherModelDir, other);
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('with the same --state-dir continues the pinned run: same runId, model and chunks; the result of a clean run; then a duplicate', async () => {
    const run = (name: string, options: Partial<LocalRunOptions> = {}) =>
      runLocal({ file, modelDir, chunkRows: CHUNK_ROWS, concurrency: 1, outDir: path.join(tmp.dir, `out-${name}`), stateDir: path.join(tmp.dir, 'state'), ...options });
    const clean = await runLocal({ file, modelDir, chunkRows: CHUNK_ROWS, concurrency: 1, outDir: path.join(tmp.dir, 'out-clean'), stateDir: path.join(tmp.dir, 'state-clean') });

    const failure = await run('failed', { injectFault: (chunk) => (chunk === 1 ? 'injected: permanent failure' : undefined) }).catch((e: unknown) => e);
    const rerunBegan = Date.now();
    const rerun = await run('rerun', { modelDir: otherModelDir });
    const again = await run('again');

    // Same bucket, key and content (so ETag) in both state dirs: the same runId.
    const runId = runIdOf(clean.outcome);
    expect(clean.outcome.status).toBe('started');
    expect(failure).toBeInstanceOf(RunFailedError);
    expect((failure as Error).message).toMatch(new RegExp(`^run ${runId} failed: .*injected: permanent failure`));
    expect(rerun.outcome).toMatchObject({ status: 'started', runId });
    // The manifest ingest wrote for the failed run was reused, with the model it pinned.
    expect(Date.parse(rerun.summary!.startedAt)).toBeLessThan(rerunBegan);
    expect([rerun.summary!.modelVersion, otherVersion]).toEqual([modelVersion, expect.not.stringMatching(`^${modelVersion}$`)]);
    expect(digest(await readFile(path.join(tmp.dir, 'out-rerun', 'trades.parquet')))).toBe(digest(await readFile(path.join(tmp.dir, 'out-clean', 'trades.parquet'))));
    // One failure alert, then one run alert; the run after that is recognised and alerts no more.
    const outbox = (await readFile(path.join(tmp.dir, 'state', 'outbox.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Alert);
    expect(outbox.map((a) => a.attributes.severity)).toEqual(['FAILED', rerun.summary!.severity]);
    expect(again.outcome).toEqual({ status: 'duplicate', runId });
    expect(again.summary).toEqual(rerun.summary);
    expect(again.alerts).toEqual([]);
  });
});
