import { createUploadService } from '../../shared/wiring/batchJobs';
import { CreateUploadRequest } from '../../shared/batchJobs/api/requests';
import { MAX_UPLOAD_BYTES } from '../../shared/batchJobs/api/constants';
import { readUploadPart } from '../../shared/batchJobs/api/fileUpload';
import type { UploadService } from '../../shared/batchJobs/api/UploadService';
import { loadConfig } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { requestBodyBytes } from '../../shared/http/multipartForm';

const CREATE = 'POST /v1/uploads';

/**
 * The Uploads API but its `complete` (which streams, in uploadComplete.ts):
 * `POST /v1/uploads` (JSON), `POST /v1/uploads/{uploadId}/parts` (multipart, field
 * `data`, up to 4.5 MB a part) and `POST /v1/uploads/{uploadId}/cancel`.
 */
export const createHandler = (deps: { service: UploadService; maxBodyBytes: number; maxPartBytes?: number }) =>
  httpRoute(
    async ({ event, tenant: { tenantId }, body }) => {
      const uploadId = event.pathParameters?.uploadId ?? '';
      switch (event.routeKey) {
        case CREATE:
          return jsonResponse(200, await deps.service.create(tenantId, parseRequest(CreateUploadRequest, body)));
        case 'POST /v1/uploads/{uploadId}/parts': {
          const request = { contentType: event.headers?.['content-type'], body: requestBodyBytes(event) };
          const data = await readUploadPart(request, { maxBytes: deps.maxPartBytes ?? MAX_UPLOAD_BYTES });
          return jsonResponse(200, await deps.service.addPart(tenantId, uploadId, data));
        }
        case 'POST /v1/uploads/{uploadId}/cancel':
          return jsonResponse(200, await deps.service.cancel(tenantId, uploadId));
        default:
          throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
      }
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, jsonBodyWhen: (event) => event.routeKey === CREATE },
  );

const config = loadConfig();
export const handler = createHandler({
  service: createUploadService(config),
  maxBodyBytes: config.maxBodyBytes,
});
