import * as z from 'zod';
import { BatchEndpoint } from '../jobs/Job';
import { BATCH_PAGE, COMPLETION_WINDOW, FILE_PAGE, METADATA_LIMITS } from './constants';

/** OpenAI's metadata: up to 16 string pairs, keys up to 64 characters, values up to 512. */
export const BatchMetadata = z
  .record(z.string(), z.string().max(METADATA_LIMITS.valueChars, `must be at most ${METADATA_LIMITS.valueChars} characters`))
  .superRefine((metadata, context) => {
    const keys = Object.keys(metadata);
    if (keys.length > METADATA_LIMITS.pairs)
      context.addIssue({ code: 'custom', message: `must have at most ${METADATA_LIMITS.pairs} pairs, got ${keys.length}` });
    for (const key of keys) {
      if (key.length > METADATA_LIMITS.keyChars)
        context.addIssue({ code: 'custom', path: [key], message: `keys must be at most ${METADATA_LIMITS.keyChars} characters` });
    }
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
  /** Accepted for compatibility; output files are kept as long as the bucket keeps them. */
  output_expires_after: z.strictObject({ anchor: z.literal('created_at'), seconds: z.number().int().min(3600).max(2_592_000) }).optional(),
});
export type CreateBatchRequest = z.infer<typeof CreateBatchRequest>;

/** A `limit` query parameter: a whole number in `1..max`, `fallback` when absent. */
export const pageLimit = (page: { default: number; max: number }) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${page.max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be from 1 to ${page.max}`).max(page.max, `must be from 1 to ${page.max}`))
    .optional()
    .transform((limit) => limit ?? page.default);

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
  order: z.literal('desc', { error: "only 'desc' (newest first) is supported" }).optional(),
});
export type ListFilesQuery = z.infer<typeof ListFilesQuery>;

/** The query of `GET /v1/batches`. */
export const ListBatchesQuery = z.object({
  after: z.string().min(1).optional(),
  limit: pageLimit(BATCH_PAGE),
});
export type ListBatchesQuery = z.infer<typeof ListBatchesQuery>;
