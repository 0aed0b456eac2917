import { createFileStore, createObjectStore } from '../../shared/aws/adapters';
import { FileService, ListFilesQuery, MAX_UPLOAD_BYTES, readFileUpload } from '../../shared/batchApi';
import { loadConfig, required } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors';
import { binaryResponse, httpRoute, jsonResponse, parseRequest, requestBodyBytes } from '../../shared/http';

/**
 * The Files API: `POST /v1/files` (multipart upload, purpose `batch`), `GET /v1/files`,
 * `GET /v1/files/{fileId}` and `GET /v1/files/{fileId}/content` (the bytes, base64 on
 * the wire so any content survives; a `Range: bytes=…` header reads a part, answered 206).
 */
export const createHandler = (deps: { service: FileService; maxUploadBytes?: number }) =>
  httpRoute(async ({ event, tenant: { tenantId } }) => {
    const fileId = event.pathParameters?.fileId ?? '';
    switch (event.routeKey) {
      case 'POST /v1/files': {
        const request = { contentType: event.headers?.['content-type'], body: requestBodyBytes(event) };
        const upload = await readFileUpload(request, { maxBytes: deps.maxUploadBytes ?? MAX_UPLOAD_BYTES, tenantId });
        return jsonResponse(200, await deps.service.upload(tenantId, upload));
      }
      case 'GET /v1/files':
        return jsonResponse(200, await deps.service.list(tenantId, parseRequest(ListFilesQuery, event.queryStringParameters ?? {})));
      case 'GET /v1/files/{fileId}':
        return jsonResponse(200, await deps.service.retrieve(tenantId, fileId));
      case 'GET /v1/files/{fileId}/content': {
        const { data, range } = await deps.service.content(tenantId, fileId, event.headers?.range);
        if (!range) return binaryResponse(200, data, 'application/octet-stream', { 'accept-ranges': 'bytes' });
        return binaryResponse(206, data, 'application/octet-stream', {
          'accept-ranges': 'bytes',
          'content-range': `bytes ${range.start}-${range.end}/${range.size}`,
        });
      }
      default:
        throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
    }
  });

const config = loadConfig();
export const handler = createHandler({
  service: new FileService({
    files: createFileStore(config),
    objects: createObjectStore(),
    bucket: required(config.bucketName, 'BUCKET_NAME'),
  }),
});
