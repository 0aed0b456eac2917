/**
 * Peak memory of ingest as the input grows: generates a JSONL file of `--mb` megabytes
 * in a temp folder, puts it in the local S3 stand-in, and runs the real ingest
 * (streaming reader, line validation, chunk planning, error part upload) through the
 * platform's S3 and DynamoDB adapters, sampling this process's RSS every 20 ms.
 * Prints one JSON line. Run each size in its own process so the peaks compare:
 *
 *   npm run bench:ingest-memory -- --mb 20
 *   npm run bench:ingest-memory -- --mb 200
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbJobStore } from '../../shared/aws/DynamoDbJobStore';
import { S3ObjectStore } from '../../shared/aws/S3ObjectStore';
import { ingestObject } from '../../shared/batch';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage } from '../../shared/jobs/Job';
import { startLocalS3 } from '../../shared/local/s3';
import { createInferenceRuntime } from '../../shared/inference/createInferenceService';
import { startTestTable } from '../helpers/localDynamoDb';

const LINE_BYTES = 1_024;

async function generate(path: string, megabytes: number): Promise<{ lines: number; bytes: number }> {
  const out = createWriteStream(path);
  const lines = Math.floor((megabytes * 1024 * 1024) / LINE_BYTES);
  for (let n = 1; n <= lines; n++) {
    const head = `{"custom_id":"request-${n}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-oss-20b","max_tokens":64,"messages":[{"role":"user","content":"`;
    const tail = '"}]}}\n';
    const line = head + 'x'.repeat(LINE_BYTES - head.length - tail.length) + tail;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { lines, bytes: (await stat(path)).size };
}

async function main(): Promise<void> {
  const mbArg = process.argv.indexOf('--mb');
  const megabytes = mbArg >= 0 ? Number(process.argv[mbArg + 1]) : 200;
  const dir = await mkdtemp(join(tmpdir(), 'ingest-memory-'));
  const s3server = await startLocalS3({ port: 0 });
  const table = await startTestTable();
  try {
    const file = join(dir, 'input.jsonl');
    const { lines, bytes } = await generate(file, megabytes);
    await s3server.createBucket('bench');
    const s3 = new S3Client({ endpoint: s3server.url, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const objects = new S3ObjectStore(s3);
    await objects.write('bench', 'inbox/bench/input.jsonl', createReadStream(file));
    const head = await objects.head('bench', 'inbox/bench/input.jsonl');

    const config = loadConfig({ ...process.env, GPU_CHAT_URLS: 'http://127.0.0.1:9', MAX_LINES_PER_JOB: String(lines + 1) });
    const { router } = createInferenceRuntime(config);
    let sent = 0;
    const chunks = { send: async (messages: readonly ChunkMessage[]) => { sent += messages.length; } };
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const started = process.hrtime.bigint();
    const summary = await ingestObject(
      { jobs: new DynamoDbJobStore(table.documentClient, table.tableName), objects, chunks, limits: config.limits, resolveModel: (id, kind) => router.model(id, kind) },
      { tenantId: 'bench', bucket: 'bench', key: 'inbox/bench/input.jsonl', etag: head!.etag },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
    console.log(JSON.stringify({
      fileMiB: mib(bytes), lines, validLines: summary.validLines, chunks: sent, seconds: Math.round(seconds * 100) / 100,
      mibPerSecond: Math.round((bytes / 1024 / 1024 / seconds) * 10) / 10, baselineRssMiB: mib(baseline), peakRssMiB: mib(peak), growthMiB: mib(peak - baseline),
    }));
  } finally {
    await s3server.close();
    await table.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
