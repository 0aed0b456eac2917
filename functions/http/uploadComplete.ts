import { createUploadService } from '../../shared/wiring/batchJobs';
import { CompleteUploadRequest } from '../../shared/batchJobs/api/requests';
import type { UploadService } from '../../shared/batchJobs/api/UploadService';
import { loadConfig } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';

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
  service: createUploadService(config),
  maxBodyBytes: config.maxBodyBytes,
});
