import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../shared/adapters/aws/S3ObjectStore';
import { startLocalDynamoDb } from '../../../shared/devTools/localPlatform/dynamodb';
import { startLocalS3 } from '../../../shared/devTools/localPlatform/s3';
import { lastJsonLine, runNode, tsxImport } from '../childProcess';
import { generateJsonl, localS3 } from '../ingestMemory';
import { round } from '../stats';

/**
 * Item 4, ingest as files grow: for each size a JSONL file (1 KiB lines unless said) is generated in a
 * temp folder and put in an S3 stand-in running in this process; a child process (so its
 * memory is its own) ingests it through the S3 client, then alternates plain reads of the
 * same object and ingests for the throughput ratio (`test/bench/ingestMemory.ts`).
 *
 * The DynamoDB stand-in runs in this process too (the child reaches it by
 * `DYNAMODB_TEST_ENDPOINT`), as DynamoDB is a service apart from the function: the items it
 * stores, one per chunk, are not the function's memory.
 */

/** One size's figures, as `ingestMemory.ts` prints them. */
export interface IngestSize {
  fileMiB: number;
  lineBytes: number;
  lines: number;
  validLines: number;
  chunks: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  growthMiB: number;
  ingestMibPerSecond: number;
  plainReadMibPerSecond: number;
  ratioToPlainRead: number;
  ingestRounds: number[];
  plainReadRounds: number[];
}

/** One file to ingest: its size, and its line size (1 KiB unless said). */
export interface IngestCase {
  mib: number;
  lineBytes?: number;
}

/** Item 4's ingest result. */
export interface IngestScaleResult {
  rounds: number;
  /** Files of 1 KiB lines, growing: the goals are judged on these. */
  sizes: IngestSize[];
  /** Extra files with other line sizes (fewer lines for the same bytes), for the why. */
  extra: IngestSize[];
  /** Peak RSS of the largest size over that of the smallest. */
  peakGrowthLargestVsSmallest: number;
  /** The lowest ingest / plain read ratio of all sizes. */
  worstRatioToPlainRead: number;
}

/** Runs item 4's ingest part for `sizesMiB`, each in its own child process. */
export async function runIngestScale(cases: IngestCase[], rounds: number, log: (line: string) => void): Promise<IngestScaleResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
  const s3server = await startLocalS3({ port: 0 });
  const dynamoDb = await startLocalDynamoDb({ port: 0 });
  const s3 = localS3(s3server.url);
  try {
    await s3server.createBucket('bench');
    const sizes: IngestSize[] = [];
    const extra: IngestSize[] = [];
    for (const { mib: size, lineBytes = 1024 } of cases) {
      const file = join(dir, `input-${size}-${lineBytes}.jsonl`);
      const key = `inbox/bench/input-${size}-${lineBytes}.jsonl`;
      const started = Date.now();
      await generateJsonl(file, size, lineBytes);
      await new S3ObjectStore(s3).write('bench', key, createReadStream(file));
      await rm(file, { force: true });
      log(`  item 4 ${size} MiB of ${lineBytes}-byte lines: generated and stored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const output = await runNode(
        [
          '--expose-gc',
          ...tsxImport(),
          'test/bench/ingestMemory.ts',
          '--mb',
          String(size),
          '--line-bytes',
          String(lineBytes),
          '--s3',
          s3server.url,
          '--bucket',
          'bench',
          '--key',
          key,
          '--rounds',
          String(rounds),
        ],
        { timeoutMs: 1_800_000, env: { DYNAMODB_TEST_ENDPOINT: dynamoDb.url } },
      );
      const figures = lastJsonLine<IngestSize>(output);
      (lineBytes === 1024 ? sizes : extra).push(figures);
      log(
        `  item 4 ${size} MiB of ${lineBytes}-byte lines: ingest ${figures.ingestMibPerSecond} MiB/s, plain read ${figures.plainReadMibPerSecond} MiB/s (ratio ${figures.ratioToPlainRead}), peak RSS ${figures.peakRssMiB} MiB`,
      );
      await s3.send(new DeleteObjectCommand({ Bucket: 'bench', Key: key }));
    }
    return {
      rounds,
      sizes,
      extra,
      peakGrowthLargestVsSmallest: round(sizes[sizes.length - 1]!.peakRssMiB / sizes[0]!.peakRssMiB, 3),
      worstRatioToPlainRead: Math.min(...sizes.map((size) => size.ratioToPlainRead)),
    };
  } finally {
    s3.destroy();
    await s3server.close();
    await dynamoDb.close();
    await rm(dir, { recursive: true, force: true });
  }
}
