/**
 * Peak memory and throughput of ingest as the input grows: a JSONL file of `--mb` MiB
 * (1 KiB lines) in the local S3 stand-in, ingested for real (streaming reader, line
 * validation, chunk planning, error part upload) through the platform's S3 and DynamoDB
 * adapters. Prints one JSON line. Run each size in its own process so the peaks compare:
 *
 *   npm run bench:ingest-memory -- --mb 20
 *   npm run bench:ingest-memory -- --mb 200
 *
 * Options used by the suite (`npm run bench`, item 4):
 *   --s3 URL --bucket B --key K   ingest an object already in an S3 stand-in (no file is made)
 *   --rounds N                    after the first ingest (whose peak is reported), N rounds
 *                                 of a plain read of the same object through the S3 client
 *                                 and an ingest, alternately; their median MiB/s compare
 *
 *   --line-bytes N                lines of N bytes instead of 1 KiB (the same file size, fewer lines)
 *   DYNAMODB_TEST_ENDPOINT=URL    the job store on a DynamoDB stand-in of another process
 *                                 (the suite's), not one started in this process
 *
 * `peakRssMiB` is the highest resident set sampled (every 10 ms and at every chunk message)
 * during the first ingest: everything the process holds, stand-ins included when they
 * run here; `growthMiB` is that peak less the resident set just before the ingest. (Not
 * getrusage's maxrss: on Linux a child started by fork and exec inherits its parent's.)
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDbJobStore } from '../../shared/adapters/aws/DynamoDbJobStore';
import { S3ObjectStore } from '../../shared/adapters/aws/S3ObjectStore';
import { ingestJob } from '../../shared/batchJobs/ingest/ingestObject';
import { newJob } from '../../shared/batchJobs/job/Job';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage } from '../../shared/batchJobs/job/Job';
import { startLocalS3 } from '../../shared/devTools/localPlatform/s3';
import { createInferenceRuntime } from '../../shared/wiring/realtime';
import { startTestTable } from '../helpers/localDynamoDb';

const LINE_BYTES = 1_024;

/** Writes a JSONL file of `megabytes` MiB of chat lines of `lineBytes` bytes each (1 KiB by default). */
export async function generateJsonl(path: string, megabytes: number, lineBytes = LINE_BYTES): Promise<{ lines: number; bytes: number }> {
  const out = createWriteStream(path);
  const lines = Math.floor((megabytes * 1024 * 1024) / lineBytes);
  for (let n = 1; n <= lines; n++) {
    const head = `{"custom_id":"request-${n}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-oss-20b","max_tokens":64,"messages":[{"role":"user","content":"`;
    const tail = '"}]}}\n';
    const line = head + 'x'.repeat(lineBytes - head.length - tail.length) + tail;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { lines, bytes: (await stat(path)).size };
}

/** An S3 client for an S3 stand-in on this machine. */
export function localS3(endpoint: string): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const megabytes = Number(argument('mb') ?? 200);
  const rounds = Number(argument('rounds') ?? 0);
  const given = argument('s3');
  const lineBytes = Number(argument('line-bytes') ?? LINE_BYTES);
  const dir = await mkdtemp(join(tmpdir(), 'ingest-memory-'));
  const s3server = given ? undefined : await startLocalS3({ port: 0 });
  const table = await startTestTable();
  try {
    const s3 = localS3(given ?? s3server!.url);
    const objects = new S3ObjectStore(s3);
    const bucket = argument('bucket') ?? 'bench';
    const key = argument('key') ?? 'inbox/bench/input.jsonl';
    if (!given) {
      const file = join(dir, 'input.jsonl');
      await generateJsonl(file, megabytes, lineBytes);
      await s3server!.createBucket(bucket);
      await objects.write(bucket, key, createReadStream(file));
    }
    const head = (await objects.head(bucket, key))!;
    const bytes = head.size;
    const lines = Math.floor(bytes / lineBytes);

    const config = loadConfig({
      ...process.env,
      GPU_CHAT_URLS: 'http://127.0.0.1:9',
      MAX_LINES_PER_JOB: String(lines + 1),
      MAX_FILE_BYTES: String(Math.max(bytes + 1, 2 * 1024 ** 3)),
    });
    const { router } = createInferenceRuntime(config);
    const jobs = new DynamoDbJobStore(table.documentClient, table.tableName);
    let run = 0;
    let sampled = 0;
    const sample = () => {
      sampled = Math.max(sampled, process.memoryUsage.rss());
    };
    const ingest = async () => {
      let sent = 0;
      const chunks = {
        send: async (messages: readonly ChunkMessage[]) => {
          sent += messages.length;
          sample();
        },
      };
      // A job of its own per run (a dropped object's id derives from its ETag, so a second
      // drop of the same object would find the first job and only resend its chunks).
      run += 1;
      const started = process.hrtime.bigint();
      const job = newJob({
        id: `batch_bench${run}`,
        tenantId: 'bench',
        source: { bucket, key, etag: head.etag },
        metadata: { source_key: key },
        createdAt: Math.floor(Date.now() / 1000),
      });
      await jobs.create(job);
      const summary = await ingestJob(
        { jobs, objects, chunks, limits: config.limits, resolveModel: (id, kind) => router.model(id, kind) },
        job.id,
      );
      return { summary, sent, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    };
    const plainRead = async () => {
      const started = process.hrtime.bigint();
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      let read = 0;
      for await (const part of Body as Readable) read += (part as Buffer).length;
      if (read !== bytes) throw new Error(`plain read got ${read} of ${bytes} bytes`);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };

    global.gc?.();
    const baseline = process.memoryUsage.rss();
    sampled = baseline;
    const sampler = setInterval(sample, 10);
    const first = await ingest();
    sample();
    clearInterval(sampler);
    const peak = sampled;

    const ingestRates: number[] = [];
    const plainRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always runs on a warmer cache.
      const order = r % 2 === 0 ? ['plain', 'ingest'] : ['ingest', 'plain'];
      for (const which of order) {
        if (which === 'plain') plainRates.push(bytes / 1024 / 1024 / (await plainRead()));
        else ingestRates.push(bytes / 1024 / 1024 / (await ingest()).seconds);
      }
    }
    const round1 = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        fileMiB: mib(bytes),
        lineBytes,
        lines,
        validLines: first.summary.validLines,
        chunks: first.sent,
        seconds: Math.round(first.seconds * 100) / 100,
        mibPerSecond: round1(bytes / 1024 / 1024 / first.seconds),
        baselineRssMiB: mib(baseline),
        peakRssMiB: mib(peak),
        growthMiB: mib(peak - baseline),
        ...(rounds > 0
          ? {
              rounds,
              ingestMibPerSecond: round1(median(ingestRates)),
              plainReadMibPerSecond: round1(median(plainRates)),
              ratioToPlainRead: Math.round((median(ingestRates) / median(plainRates)) * 100) / 100,
              ingestRounds: ingestRates.map(round1),
              plainReadRounds: plainRates.map(round1),
            }
          : {}),
      }),
    );
  } finally {
    await s3server?.close();
    await table.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
