import { jobKeys, type Job } from '../job/Job';
import type { FileStore } from '../job/ports';
import type { ObjectStore } from '../../domain/ports';
import { fileRecord, outputFileIdOf } from '../job/jobFiles';
import { stitchParts } from '../lines/stitchParts';
import { convertPartLine, outputFormatOf } from '../lines/bedrockOutput';

/**
 * A job that fails at ingest after its lines were read (no valid line) still owes its
 * caller the reason for every line: its ingest error part becomes the job's errors file,
 * with the file record the Files API serves. Deterministic ids and keys: safe to repeat.
 * Returns the error file's id, or undefined when there was no error line.
 */
export async function publishIngestErrors(
  deps: { objects: ObjectStore; files: FileStore; now: () => number },
  job: Job,
): Promise<string | undefined> {
  const { bucket } = job.source;
  if (!(await deps.objects.head(bucket, jobKeys.ingestErrors(job.id)))) return undefined;
  const format = outputFormatOf(job);
  const part = { key: jobKeys.ingestErrors(job.id), rewrite: (line: string) => convertPartLine(line, format) };
  const errors = await stitchParts(deps.objects, bucket, [part], jobKeys.errors(job.id));
  if (errors.lines === 0) return undefined;
  const errorFileId = outputFileIdOf(job.id, 'error');
  await deps.files.put(fileRecord(job, errorFileId, 'error', errors, Math.floor(deps.now() / 1000)));
  return errorFileId;
}
