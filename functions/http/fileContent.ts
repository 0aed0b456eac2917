import { createFileStore, createObjectStore } from '../../shared/wiring/batchJobs';
import { FileService } from '../../shared/batchJobs/api/FileService';
import { loadConfig, required } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';

/**
 * `GET /v1/files/{fileId}/content`, a response-streaming function (REST integration with
 * ResponseTransferMode STREAM): the object's bytes go to the client as they are read from
 * S3, so a file of any size up to Lambda's 200 MB streamed-response limit is served in
 * constant memory, past the 6 MB a buffered answer could carry. A `Range: bytes=…` header
 * reads a part, answered 206.
 */
export const createHandler = (deps: { service: FileService }) =>
  httpRoute(
    async ({ event, tenant: { tenantId } }) => {
      const { stream, range } = await deps.service.content(tenantId, event.pathParameters?.fileId ?? '', event.headers?.range);
      const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
      if (!range) return { statusCode: 200, headers, body: stream };
      return { statusCode: 206, headers: { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${range.size}` }, body: stream };
    },
    { streaming: true },
  );

const config = loadConfig();
export const handler = createHandler({
  service: new FileService({
    files: createFileStore(config),
    objects: createObjectStore(),
    bucket: required(config.bucketName, 'BUCKET_NAME'),
  }),
});
