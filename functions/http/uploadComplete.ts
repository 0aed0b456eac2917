import { createFileStore, createObjectStore, createUploadStore } from '../../shared/wiring/batchJobs';
import { CompleteUploadRequest, UploadService } from '../../shared/batchJobs/api';
import { loadConfig, required } from '../../shared/config/config';
import { httpRoute, jsonResponse, parseRequest } from '../../shared/http';

/**
 * `POST /v1/uploads/{uploadId}/complete`, on a streaming integration (REST,
 * ResponseTransferMode STREAM) only for its time limit: joining the parts of a large
 * upload into one object may take minutes, past the 29 s of a buffered integration. The
 * answer itself is one JSON Upload object.
 */
export const createHandler = (deps: { service: UploadService; maxBodyBytes: number }) =>
  httpRoute(
    async ({ event, tenant: { tenantId }, body }) =>
      jsonResponse(
        200,
        await deps.service.complete(tenantId, event.pathParameters?.uploadId ?? '', parseRequest(CompleteUploadRequest, body)),
      ),
    { jsonBodyMaxBytes: deps.maxBodyBytes, streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({
  service: new UploadService({
    uploads: createUploadStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    bucket: required(config.bucketName, 'BUCKET_NAME'),
  }),
  maxBodyBytes: config.maxBodyBytes,
});
