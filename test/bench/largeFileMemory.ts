/**
 * Peak memory of a large file through the API, against a small one: a file of `--mb` MiB
 * is sent through the Uploads API's use case (4 MiB parts, then `complete`, which joins
 * them into one object) and read back through `GET /v1/files/{id}/content`'s streaming
 * handler (middy's response stream, drained as a client reads it), against the S3
 * stand-in at `--s3` (run by the parent, so its memory is not counted here). Prints one
 * JSON line. Run each size in its own process so the peaks compare:
 *
 *   npm run bench -- --quick --only 9
 *
 * `peakRssMiB` is the highest resident set sampled every 5 ms (and at every part and
 * piece) during the step; `growthMiB` is that peak less the resident set just before it.
 */
// First, as the Lambda runtime does before a handler's module loads: the `awslambda` global
// (localFunction installs it as it loads; the content handler calls awslambda.streamifyResponse).
import '../../shared/devTools/localPlatform/localFunction';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHandler as fileContentHandler } from '../../functions/http/fileContent';
import { S3ObjectStore } from '../../shared/adapters/aws/S3ObjectStore';
import { FileService } from '../../shared/batchJobs/api/FileService';
import { UploadService } from '../../shared/batchJobs/api/UploadService';
import { createResponseStream, readStreamedResponse } from '../../shared/devTools/localPlatform/httpResponseStream';
import { lambdaContext, loadEvent, setTenant } from '../helpers/events';
import { MemoryFileStore, MemoryUploadStore } from '../helpers/memoryPorts';
import { localS3 } from './ingestMemory';

const PART_BYTES = 4 * 1024 * 1024;
const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Runs `work` while sampling the resident set; its baseline is taken after a GC. */
async function measured<T>(
  work: (sample: () => void) => Promise<T>,
): Promise<{ result: T; baselineRssMiB: number; peakRssMiB: number; growthMiB: number; seconds: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 5);
  const started = process.hrtime.bigint();
  try {
    const result = await work(sample);
    sample();
    return {
      result,
      baselineRssMiB: mib(baseline),
      peakRssMiB: mib(peak),
      growthMiB: mib(peak - baseline),
      seconds: Math.round((Number(process.hrtime.bigint() - started) / 1e9) * 10) / 10,
    };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const megabytes = Number(argument('mb') ?? 16);
  const bucket = argument('bucket') ?? 'bench';
  const objects = new S3ObjectStore(localS3(argument('s3')!));
  const files = new MemoryFileStore();
  const uploads = new UploadService({ uploads: new MemoryUploadStore(), files, objects, bucket });
  const fileService = new FileService({ files, objects, bucket, maxContentBytes: Number.MAX_SAFE_INTEGER });
  const bytes = megabytes * 1024 * 1024;
  // One part's worth of JSONL lines, sent as many times as the size needs (the last part cut short).
  const line = `${JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: 'y'.repeat(900) } })}\n`;
  const part = Buffer.from(line.repeat(Math.ceil(PART_BYTES / line.length))).subarray(0, PART_BYTES);

  const upload = await measured(async (sample) => {
    const created = await uploads.create('bench', { bytes, filename: 'big.jsonl', mime_type: 'application/jsonl', purpose: 'batch' });
    const ids: string[] = [];
    for (let sent = 0; sent < bytes; sent += PART_BYTES) {
      ids.push((await uploads.addPart('bench', created.id, part.subarray(0, Math.min(PART_BYTES, bytes - sent)))).id);
      sample();
    }
    return uploads.complete('bench', created.id, { part_ids: ids });
  });
  const fileId = upload.result.file!.id;

  const handler = fileContentHandler({ service: fileService }) as unknown as (
    event: unknown,
    stream: unknown,
    context: unknown,
  ) => Promise<void>;
  const download = await measured(async (sample) => {
    const event = loadEvent('http/filesContent.json');
    event.pathParameters = { fileId };
    setTenant(event, 'bench');
    const stream = createResponseStream();
    const run = handler(event, stream, lambdaContext(900_000));
    const { prelude, body } = await readStreamedResponse(stream);
    let received = 0;
    await pipeline(
      body,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          received += chunk.length;
          sample();
          done();
        },
      }),
    );
    await run;
    return { status: prelude?.statusCode, received };
  });
  if (download.result.received !== bytes) throw new Error(`read back ${download.result.received} bytes of ${bytes}`);
  const { result: _u, ...uploadFigures } = upload;
  const { result: _d, ...downloadFigures } = download;
  console.log(
    JSON.stringify({ fileMiB: megabytes, parts: Math.ceil(bytes / PART_BYTES), upload: uploadFigures, download: downloadFigures }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
