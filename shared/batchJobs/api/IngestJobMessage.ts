import * as z from 'zod';

/**
 * The message `POST /v1/batches` sends to the ingest queue once it has created the job
 * (in `validating`, its source the uploaded file). The ingest function takes it besides
 * S3 notifications of dropped files; the job record holds everything else it needs, so
 * the message only points at it, and a redelivery finds the same job.
 */
export const IngestJobMessage = z.object({
  kind: z.literal('ingest'),
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
});
export type IngestJobMessage = z.infer<typeof IngestJobMessage>;
