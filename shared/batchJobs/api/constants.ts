/**
 * Largest file `POST /v1/files` takes. Lambda caps a synchronous invocation at 6 MB
 * (6,291,456 bytes) of event, and API Gateway puts a multipart body in the event
 * base64-encoded (×4/3): 4.5 MB of file plus the form's framing and the rest of the
 * event stay under it. Bigger files go in the bucket's file drop instead.
 */
export const MAX_UPLOAD_BYTES = 4_500_000;

/** Largest Upload (`POST /v1/uploads`), as OpenAI's: 8 GB. Ingest still refuses files over `MAX_FILE_BYTES`. */
export const MAX_UPLOAD_TOTAL_BYTES = 8 * 1000 * 1000 * 1000;

/** How long an Upload accepts parts, as OpenAI's: an hour. */
export const UPLOAD_LIFETIME_SECONDS = 3_600;

/** Room for the multipart framing and the small fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Largest file `GET /v1/files/{id}/content` streams: a response-streaming Lambda may send
 * 200 MB (Lambda's limit for a streamed response). Bigger files are read from the bucket
 * (`outputs/<batchId>/`, `files/<tenant>/`).
 */
export const MAX_STREAMED_CONTENT_BYTES = 200 * 1000 * 1000;

/** Page sizes of `GET /v1/files` (OpenAI's: default and most 10,000) and `GET /v1/batches`. */
export const FILE_PAGE = { default: 10_000, max: 10_000 } as const;
export const BATCH_PAGE = { default: 20, max: 100 } as const;

/** The only completion window a batch may ask for, and its length. */
export { COMPLETION_WINDOW } from '../job/Job';

/**
 * The endpoint a dropped-file job shows: its lines may mix chat and embeddings, so it
 * has none of its own (see `BatchEndpoint` in shared/batchJobs/job/Job.ts).
 */
export const MIXED_ENDPOINT = '/v1/batch';

/** OpenAI's bounds of `expires_after.seconds` (files) and `output_expires_after.seconds` (batches): 1 hour to 30 days. */
export const EXPIRES_AFTER_SECONDS = { min: 3_600, max: 2_592_000 } as const;

/** Where the Files API keeps uploads, and where the file drop takes files too big to upload. */
export const fileKeys = {
  upload: (tenantId: string, fileId: string) => `files/${tenantId}/${fileId}`,
  /** One object per part of an Upload (`POST /v1/uploads/{id}/parts`), until it completes or is cancelled. */
  uploadPart: (tenantId: string, uploadId: string, partId: string) => `uploads/${tenantId}/${uploadId}/${partId}`,
  inbox: (tenantId: string) => `inbox/${tenantId}/`,
};

/** How long a presigned upload URL (`POST /v1/files/presigned`) may be used: an hour. */
export const PRESIGNED_UPLOAD_SECONDS = 3_600;

/**
 * A pending file whose bytes never came goes this long after its URL expired (a PUT
 * begun just before the expiry may still be arriving).
 */
export const PRESIGNED_UPLOAD_GRACE_SECONDS = 3_600;

/** Largest object one S3 PUT stores (S3's single-PUT limit, 5 GB); bigger files take the Uploads API. */
export const MAX_PRESIGNED_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024;
