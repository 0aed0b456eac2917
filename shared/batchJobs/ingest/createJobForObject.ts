import { createHash } from 'node:crypto';
import { newJob, type Job } from '../job/Job';
import type { JobStore } from '../job/ports';
import { MODEL_METADATA_KEY } from '../lines/constants';

/** An object dropped in the inbox, as its ObjectCreated event tells it. */
export interface ObjectDrop {
  /** The tenant the inbox prefix belongs to. */
  tenantId: string;
  bucket: string;
  /** The object key, already URL-decoded. */
  key: string;
  /** The object's ETag, with or without quotes (S3 events give it without). */
  etag: string;
  /** User metadata, if the caller knows it (ingest reads it again from HEAD). */
  metadata?: Record<string, string>;
}

/** What creating a job needs. */
export interface CreateJobDeps {
  jobs: JobStore;
  now?: () => Date;
}

/** An ETag without its quotes: S3 events and HeadObject spell the same one differently. */
export function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * The job id of a dropped object: `batch_` and the first 32 hex characters of the
 * SHA-256 of bucket, key and ETag. A redelivered event names the same job; uploading
 * the same key again (a new ETag) starts a new one.
 */
export function jobIdForObject(bucket: string, key: string, etag: string): string {
  return `batch_${createHash('sha256')
    .update(`${bucket}\n${key}\n${normaliseEtag(etag)}`)
    .digest('hex')
    .slice(0, 32)}`;
}

/**
 * Creates the job of a dropped object in `validating`, or returns the one an earlier
 * delivery of the same event created (the create is conditional on the id). The job
 * shows in the Batch API with `metadata.source_key` set to the object key.
 */
export async function createJobForObject(deps: CreateJobDeps, drop: ObjectDrop): Promise<{ job: Job; created: boolean }> {
  const createdAt = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const model = drop.metadata?.[MODEL_METADATA_KEY];
  const job = newJob({
    id: jobIdForObject(drop.bucket, drop.key, drop.etag),
    tenantId: drop.tenantId,
    source: { bucket: drop.bucket, key: drop.key, etag: drop.etag, ...(model ? { model } : {}) },
    metadata: { source_key: drop.key },
    createdAt,
  });
  if (await deps.jobs.create(job)) return { job, created: true };
  const existing = await deps.jobs.get(job.id);
  // Created and then removed between the two calls: nothing sensible to do but say so.
  if (!existing) throw new Error(`Batch ${job.id} exists but could not be read back.`);
  return { job: existing, created: false };
}
