import { startLocalS3 } from '../../../shared/devTools/localPlatform/s3';
import { lastJsonLine, runNode, tsxImport } from '../childProcess';
import { round } from '../stats';

/** One step's memory figures, as `largeFileMemory.ts` prints them. */
export interface MemoryStep {
  baselineRssMiB: number;
  peakRssMiB: number;
  growthMiB: number;
  seconds: number;
}

/** One file size through the Uploads API and back through the streamed content route. */
export interface LargeFileSize {
  fileMiB: number;
  parts: number;
  upload: MemoryStep;
  download: MemoryStep;
}

/** Item 9's result. */
export interface LargeFilesResult {
  sizes: LargeFileSize[];
  /** Memory growth of the largest size less that of the smallest, per step (MiB): flat is near 0. */
  uploadGrowthDifferenceMiB: number;
  downloadGrowthDifferenceMiB: number;
}

/**
 * Item 9, files through the API as they grow: for each size a child process (its memory
 * its own) uploads the file in 4 MiB parts, completes the upload (the parts joined into one
 * object) and reads it back through the streaming content handler, against an S3 stand-in
 * run here (`test/bench/largeFileMemory.ts`).
 */
export async function runLargeFiles(sizesMiB: number[], log: (line: string) => void): Promise<LargeFilesResult> {
  const s3server = await startLocalS3({ port: 0 });
  try {
    await s3server.createBucket('bench');
    const sizes: LargeFileSize[] = [];
    for (const size of sizesMiB) {
      const output = await runNode(
        ['--expose-gc', ...tsxImport(), 'test/bench/largeFileMemory.ts', '--mb', String(size), '--s3', s3server.url],
        {
          timeoutMs: 1_800_000,
          // The content handler's module wires its production adapters (never called here): they read these.
          env: {
            TABLE_NAME: 'bench',
            BUCKET_NAME: 'bench',
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'bench',
            AWS_SECRET_ACCESS_KEY: 'bench',
          },
        },
      );
      const figures = lastJsonLine<LargeFileSize>(output);
      log(
        `  item 9 ${size} MiB: upload peak ${figures.upload.peakRssMiB} MiB (+${figures.upload.growthMiB}) in ${figures.upload.seconds} s, download peak ${figures.download.peakRssMiB} MiB (+${figures.download.growthMiB}) in ${figures.download.seconds} s`,
      );
      sizes.push(figures);
    }
    const first = sizes[0]!;
    const last = sizes.at(-1)!;
    return {
      sizes,
      uploadGrowthDifferenceMiB: round(last.upload.growthMiB - first.upload.growthMiB, 1),
      downloadGrowthDifferenceMiB: round(last.download.growthMiB - first.download.growthMiB, 1),
    };
  } finally {
    await s3server.close();
  }
}
