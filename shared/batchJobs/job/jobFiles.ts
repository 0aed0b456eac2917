import { createHash } from 'node:crypto';
import type { Job } from './Job';
import type { FileRecord } from './ports';

/**
 * A job's output file id: derived from the job id, so a second finalize overwrites the
 * same records instead of adding a second set.
 */
export function outputFileIdOf(jobId: string, kind: 'output' | 'error' | 'manifest'): string {
  return `file-${createHash('sha256').update(`${jobId}/${kind}`).digest('hex').slice(0, 24)}`;
}

/** The file record of a job's output or error file, as the Files API lists it. */
export function fileRecord(
  job: Job,
  id: string,
  kind: 'output' | 'error',
  object: { bucket: string; key: string; bytes: number },
  createdAt: number,
): FileRecord {
  return {
    id,
    tenantId: job.tenantId,
    purpose: 'batch_output',
    filename: `${job.id}_${kind}.jsonl`,
    bytes: object.bytes,
    createdAt,
    bucket: object.bucket,
    key: object.key,
    ...(job.outputExpiresAfterSeconds !== undefined ? { expiresAt: createdAt + job.outputExpiresAfterSeconds } : {}),
  };
}
