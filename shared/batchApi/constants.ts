/**
 * Largest file `POST /v1/files` takes. Lambda caps a synchronous invocation at 6 MB
 * (6,291,456 bytes) of event, and API Gateway puts a multipart body in the event
 * base64-encoded (×4/3): 4.5 MB of file plus the form's framing and the rest of the
 * event stay under it. Bigger files go in the bucket's file drop instead.
 */
export const MAX_UPLOAD_BYTES = 4_500_000;

/** Room for the multipart framing and the small fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Largest file `GET /v1/files/{id}/content` returns: a Lambda response is capped at
 * 6 MB as well, and the content goes back base64-encoded. Bigger files are read from
 * the bucket (`outputs/<batchId>/`).
 */
export const MAX_CONTENT_BYTES = 4_500_000;

/** Page sizes of `GET /v1/files` (OpenAI's default is 10,000; ours is 100) and `GET /v1/batches`. */
export const FILE_PAGE = { default: 100, max: 10_000 } as const;
export const BATCH_PAGE = { default: 20, max: 100 } as const;

/** The only completion window a batch may ask for, and its length. */
export { COMPLETION_WINDOW } from '../jobs/Job';

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512. */
export const METADATA_LIMITS = { pairs: 16, keyChars: 64, valueChars: 512 } as const;

/**
 * The endpoint a dropped-file job shows: its lines may mix chat and embeddings, so it
 * has none of its own (see `BatchEndpoint` in shared/jobs).
 */
export const MIXED_ENDPOINT = '/v1/batch';

/** Where the Files API keeps uploads, and where the file drop takes files too big to upload. */
export const fileKeys = {
  upload: (tenantId: string, fileId: string) => `files/${tenantId}/${fileId}`,
  inbox: (tenantId: string) => `inbox/${tenantId}/`,
};
