import { z } from 'zod';
import { createFileStore, createJobStore, createMessageSender, createObjectStore } from '../../shared/aws/adapters';
import { ingestJob, ingestObject, type IngestDeps } from '../../shared/batch';
import { IngestJobMessage } from '../../shared/batchApi/IngestJobMessage';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage } from '../../shared/jobs/Job';
import { settleUnplannedJob } from '../../shared/jobs/processing';
import { logger } from '../../shared/observability/logger';
import { decodeS3Key, S3Notification, tenantOfInboxKey } from '../../shared/queues/s3Notification';
import { withMetrics } from '../../shared/observability/withMetrics';
import { sqsBatchHandler } from '../../shared/queues/sqsBatch';
import { createInferenceRuntime } from '../../shared/inference/createInferenceService';

/** The ingest queue carries the bucket's notifications (file drop) and the Batch API's requests. */
const IngestQueueMessage = z.union([IngestJobMessage, S3Notification]);

/** Ingest: plans a job's chunks from its input file, streaming it once. */
export const createHandler = (deps: IngestDeps) =>
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
      const tenantId = tenantOfInboxKey(key);
      if (!tenantId) {
        // No tenant owns it, so no job can be made; the error log (and its alarm) says so.
        logger.error('dropped file ignored: its key must be inbox/<tenant>/<name>', { key });
        continue;
      }
      const summary = await ingestObject(deps, { tenantId, bucket: record.s3.bucket.name, key, etag: record.s3.object.eTag ?? '' });
      logger.info('ingest done', { ...summary, key });
      await settleUnplannedJob(deps.jobs, summary.jobId);
    }
  });

const config = loadConfig();
const { router } = createInferenceRuntime(config);
export const handler = withMetrics(
  createHandler({
    jobs: createJobStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    chunks: createMessageSender<ChunkMessage>(config.workQueueUrl, 'WORK_QUEUE_URL'),
    limits: config.limits,
    resolveModel: (id, kind) => router.model(id, kind),
    listModels: () => router.listModels(),
  }),
);
