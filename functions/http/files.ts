import { createFileStore, createObjectStore, createUploadUrlSigner } from '../../shared/wiring/batchJobs';
import { FileService } from '../../shared/batchJobs/api/FileService';
import { CreatePresignedFileRequest, ListFilesQuery } from '../../shared/batchJobs/api/requests';
import { MAX_UPLOAD_BYTES } from '../../shared/batchJobs/api/constants';
import { readFileUpload } from '../../shared/batchJobs/api/fileUpload';
import { loadConfig, required } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { requestBodyBytes } from '../../shared/http/multipartForm';

const PRESIGNED = 'POST /v1/files/presigned';

/**
 * The Files API: `POST /v1/files` (multipart upload, purpose `batch`), `GET /v1/files`,
 * `GET /v1/files/{fileId}` and `DELETE /v1/files/{fileId}`, and our `POST /v1/files/presigned`
 * (a JSON body; a pending File and a URL to PUT its bytes to). The content route streams,
 * so it has a function of its own (fileContent.ts).
 */
export const createHandler = (deps: { service: FileService; maxUploadBytes?: number }) =>
  httpRoute(
    async ({ event, tenant: { tenantId }, body }) => {
      const fileId = event.pathParameters?.fileId ?? '';
      switch (event.routeKey) {
        case PRESIGNED:
          return jsonResponse(200, await deps.service.createPresigned(tenantId, parseRequest(CreatePresignedFileRequest, body)));
        case 'POST /v1/files': {
          const request = { contentType: event.headers?.['content-type'], body: requestBodyBytes(event) };
          const upload = await readFileUpload(request, { maxBytes: deps.maxUploadBytes ?? MAX_UPLOAD_BYTES, tenantId });
          return jsonResponse(200, await deps.service.upload(tenantId, upload));
        }
        case 'GET /v1/files':
          return jsonResponse(200, await deps.service.list(tenantId, parseRequest(ListFilesQuery, event.queryStringParameters ?? {})));
        case 'GET /v1/files/{fileId}':
          return jsonResponse(200, await deps.service.retrieve(tenantId, fileId));
        case 'DELETE /v1/files/{fileId}':
          return jsonResponse(200, await deps.service.delete(tenantId, fileId));
        default:
          throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
      }
    },
    { jsonBodyMaxBytes: 16_384, jsonBodyWhen: (event) => event.routeKey === PRESIGNED },
  );

const config = loadConfig();
export const handler = createHandler({
  service: new FileService({
    files: createFileStore(config),
    objects: createObjectStore(),
    signer: createUploadUrlSigner(),
    bucket: required(config.bucketName, 'BUCKET_NAME'),
  }),
});
