import * as z from 'zod';
import { BatchEndpoint } from '../job/Job';
import {
  BATCH_PAGE,
  COMPLETION_WINDOW,
  EXPIRES_AFTER_SECONDS,
  FILE_PAGE,
  MAX_PRESIGNED_UPLOAD_BYTES,
  MAX_UPLOAD_TOTAL_BYTES,
} from './constants';
import { BatchMetadata } from '../../domain/metadata';
import { pageLimit } from '../../domain/listPage';

/** OpenAI's `expires_after` / `output_expires_after`: from `created_at`, 1 hour to 30 days. */
const ExpiresAfter = z.strictObject({
  anchor: z.literal('created_at'),
  seconds: z.number().int().min(EXPIRES_AFTER_SECONDS.min).max(EXPIRES_AFTER_SECONDS.max),
});

/** The body of `POST /v1/batches`. */
export const CreateBatchRequest = z.strictObject({
  input_file_id: z.string().min(1),
  // A string first, so an absent value is reported as missing rather than as a bad option.
  endpoint: z
    .string()
    .pipe(z.enum(BatchEndpoint.options, { error: `supported endpoints are ${BatchEndpoint.options.map((e) => `'${e}'`).join(' and ')}` })),
  completion_window: z.string().pipe(z.literal(COMPLETION_WINDOW, { error: `only '${COMPLETION_WINDOW}' is supported` })),
  metadata: BatchMetadata.nullish(),
  /** When the batch's output and error files expire, counted from their creation. */
  output_expires_after: ExpiresAfter.optional(),
});
export type CreateBatchRequest = z.infer<typeof CreateBatchRequest>;

/** The body of `POST /v1/uploads`. */
export const CreateUploadRequest = z.strictObject({
  bytes: z.number().int().min(1).max(MAX_UPLOAD_TOTAL_BYTES, `must be at most ${MAX_UPLOAD_TOTAL_BYTES} (8 GB)`),
  filename: z.string().min(1).max(512),
  mime_type: z.string().min(1),
  purpose: z.string().pipe(z.literal('batch', { error: "this platform stores files for the Batch API, so only 'batch' is supported" })),
  expires_after: ExpiresAfter.optional(),
});
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;

/** The body of `POST /v1/files/presigned` (this platform's route; see FileService.createPresigned). */
export const CreatePresignedFileRequest = z.strictObject({
  filename: z
    .string()
    .min(1)
    .max(512)
    .regex(/\.jsonl$/i, 'must end in .jsonl (the Batch API reads JSONL)'),
  purpose: z.string().pipe(z.literal('batch', { error: "this platform stores files for the Batch API, so only 'batch' is supported" })),
  /** The size the caller means to PUT, when known (informative: the object's real size is what counts). */
  bytes: z
    .number()
    .int()
    .min(1)
    .max(MAX_PRESIGNED_UPLOAD_BYTES, `must be at most ${MAX_PRESIGNED_UPLOAD_BYTES} (5 GiB, S3's single-PUT limit)`)
    .optional(),
  expires_after: ExpiresAfter.optional(),
});
export type CreatePresignedFileRequest = z.infer<typeof CreatePresignedFileRequest>;

/** The body of `POST /v1/uploads/{uploadId}/complete`. */
export const CompleteUploadRequest = z.strictObject({
  part_ids: z.array(z.string().min(1)).min(1),
  md5: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits')
    .optional(),
});
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequest>;

/** The purposes OpenAI knows; we store only `batch` and `batch_output`, so the others list nothing. */
const FILE_PURPOSES = [
  'assistants',
  'assistants_output',
  'batch',
  'batch_output',
  'fine-tune',
  'fine-tune-results',
  'vision',
  'user_data',
  'evals',
] as const;

/** The query of `GET /v1/files`. Unknown parameters are ignored, as HTTP queries usually are. */
export const ListFilesQuery = z.object({
  purpose: z.enum(FILE_PURPOSES).optional(),
  after: z.string().min(1).optional(),
  limit: pageLimit(FILE_PAGE),
  /** `desc` (newest first, the default) or `asc`, by `created_at`. */
  order: z.enum(['asc', 'desc'], { error: "must be 'asc' or 'desc'" }).optional(),
});
export type ListFilesQuery = z.infer<typeof ListFilesQuery>;

/** The query of `GET /v1/batches`. */
export const ListBatchesQuery = z.object({
  after: z.string().min(1).optional(),
  limit: pageLimit(BATCH_PAGE),
});
export type ListBatchesQuery = z.infer<typeof ListBatchesQuery>;
