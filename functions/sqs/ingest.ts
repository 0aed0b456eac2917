import * as z from 'zod';
import { createFileStore, createJobStore, createMessageSender, createObjectStore } from '../../shared/wiring/batchJobs';
import { checkInboxDrop, recordRefusedDrop, type TenantDirectory } from '../../shared/batchJobs/ingest/inboxDrops';
import { ingestJob, ingestObject, type IngestDeps } from '../../shared/batchJobs/ingest/ingestObject';
import { IngestJobMessage } from '../../shared/batchJobs/api/IngestJobMessage';
import { createApiKeyStore } from '../../shared/wiring/auth';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage } from '../../shared/batchJobs/job/Job';
import { settleUnplannedJob } from '../../shared/batchJobs/ingest/settleUnplannedJob';
import { logger } from '../../shared/observability/logger';
import { decodeS3Key, S3Notification } from '../../shared/sqsEvents/s3Notification';
import { withMetrics } from '../../shared/observability/withMetrics';
import { sqsBatchHandler } from '../../shared/sqsEvents/sqsBatch';
import { createModelDirectory } from '../../shared/wiring/realtime';

/** The ingest queue carries the bucket's notifications (file drop) and the Batch API's requests. */
const IngestQueueMessage = z.union([IngestJobMessage, S3Notification]);

/**
 * Ingest: plans a job's chunks from its input file, streaming it once. A dropped file is
 * first checked ({@link checkInboxDrop}: a literal key under a known tenant); a refused
 * one gets a record under `inbox-refused/` and a log line, and no job. Without `tenants`
 * every tenant segment is taken as known.
 */
export const createHandler = (deps: IngestDeps & { tenants?: TenantDirectory }) =>
  sqsBatchHandler(IngestQueueMessage, async (message) => {
    if ('kind' in message) {
      const summary = await ingestJob(deps, message.jobId);
      logger.info('ingest done', { ...summary });
      await settleUnplannedJob(deps.jobs, message.jobId);
      return;
    }
    if (!('Records' in message)) return; // s3:TestEvent, sent once when notifications are set up.
    for (const record of message.Records) {
      if (!record.eventName.startsWith('ObjectCreated')) continue;
      const key = decodeS3Key(record.s3.object.key);
      const drop = { bucket: record.s3.bucket.name, key, etag: record.s3.object.eTag ?? '' };
      const verdict = await checkInboxDrop(key, deps.tenants);
      if (!verdict.ok) {
        // No job is made and no backend called; the bucket owner finds the record under inbox-refused/.
        const recordKey = await recordRefusedDrop(deps.objects, drop, verdict);
        logger.warn('dropped file refused', { key, code: verdict.code, reason: verdict.message, recordKey });
        continue;
      }
      const summary = await ingestObject(deps, { ...drop, tenantId: verdict.tenantId });
      logger.info('ingest done', { ...summary, key });
      await settleUnplannedJob(deps.jobs, summary.jobId);
    }
  });

const config = loadConfig();
// Ingest checks lines' models and runs none: the catalogue alone, no providers or core.
const models = createModelDirectory(config);
export const handler = withMetrics(
  createHandler({
    jobs: createJobStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    chunks: createMessageSender<ChunkMessage>(config.workQueueUrl, 'WORK_QUEUE_URL'),
    batchInference: config.bedrockBatchRoleArn !== undefined,
    limits: config.limits,
    resolveModel: (id, kind) => models.model(id, kind),
    listModels: () => models.listModels(),
    tenants: createApiKeyStore(config),
  }),
);
