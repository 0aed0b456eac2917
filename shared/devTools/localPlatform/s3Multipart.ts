import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error';

/** S3's smallest part but the last of a multipart upload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's part numbers run from 1 to 10,000. */
const MAX_PART_NUMBER = 10_000;

const NO_SUCH_UPLOAD =
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

/** An S3 error to answer with (code, HTTP status, message, extra elements). */
interface Refusal {
  status: number;
  code: string;
  message: string;
  detail?: Record<string, string | number>;
}

/** Whether the request is UploadPartCopy: a PUT of a part (`partNumber`, `uploadId`) carrying `x-amz-copy-source`. */
export function isUploadPartCopy(request: IncomingMessage): boolean {
  if (request.method !== 'PUT' || request.headers['x-amz-copy-source'] === undefined) return false;
  const query = new URL(request.url ?? '/', 'http://local').searchParams;
  return query.has('uploadId') && query.has('partNumber');
}

/**
 * Answers UploadPartCopy, which s3rver refuses as NotImplemented: the source object (or
 * the inclusive byte range `x-amz-copy-source-range: bytes=first-last`) becomes part
 * `partNumber` of the upload, with `x-amz-copy-source-if-match` honoured. Answers
 * `CopyPartResult` with the part's ETag, or S3's error: NoSuchUpload, NoSuchKey (the
 * source), InvalidArgument (a part number or range S3 would not take), PreconditionFailed.
 */
export async function answerUploadPartCopy(
  store: S3rver.Store,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
): Promise<void> {
  request.resume();
  const outcome = await copyPart(store, request).catch(
    (error: unknown): Refusal => ({ status: 500, code: 'InternalError', message: String(error) }),
  );
  if ('code' in outcome) {
    answerError(response, requestId, outcome);
    return;
  }
  response.setHeader('Content-Type', 'application/xml');
  response.statusCode = 200;
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>${outcome.lastModified}</LastModified><ETag>"${outcome.md5}"</ETag></CopyPartResult>`,
  );
}

async function copyPart(store: S3rver.Store, request: IncomingMessage): Promise<Refusal | { md5: string; lastModified: string }> {
  const url = new URL(request.url ?? '/', 'http://local');
  const target = /^\/([^/]+)\/.+$/.exec(url.pathname);
  if (!target) return { status: 400, code: 'InvalidRequest', message: 'A part is uploaded to an object key of a bucket.' };
  const bucket = decodeURIComponent(target[1]!);
  const uploadId = url.searchParams.get('uploadId') ?? '';
  const partNumber = Number(url.searchParams.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER)
    return {
      status: 400,
      code: 'InvalidArgument',
      message: `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
      detail: { ArgumentName: 'partNumber', ArgumentValue: url.searchParams.get('partNumber') ?? '' },
    };
  const uploadDirectory = join(store.getResourcePath(bucket, '', 'uploads'), uploadId);
  if (!uploadId || uploadId.includes('/') || uploadId.includes('..') || !(await exists(join(uploadDirectory, 'key'))))
    return {
      status: 404,
      code: 'NoSuchUpload',
      message: NO_SUCH_UPLOAD,
      detail: { UploadId: uploadId },
    };
  const source = copySourceOf(String(request.headers['x-amz-copy-source']));
  if (!source)
    return { status: 400, code: 'InvalidArgument', message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey' };
  let metadata: Record<string, string | number>;
  try {
    metadata = await store.getMetadata(source.bucket, source.key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.', detail: { Key: source.key } };
  }
  const size = Number(metadata['content-length']);
  const etag = String(metadata.etag).replace(/"/g, '');
  const ifMatch = request.headers['x-amz-copy-source-if-match'];
  if (typeof ifMatch === 'string' && ifMatch.replace(/"/g, '') !== etag)
    return {
      status: 412,
      code: 'PreconditionFailed',
      message: 'At least one of the pre-conditions you specified did not hold',
      detail: { Condition: 'x-amz-copy-source-If-Match' },
    };
  const rangeHeader = request.headers['x-amz-copy-source-range'];
  let range = { start: 0, end: size - 1 };
  if (rangeHeader !== undefined) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(String(rangeHeader).trim());
    if (!match)
      return {
        status: 400,
        code: 'InvalidArgument',
        message:
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
        detail: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: String(rangeHeader) },
      };
    range = { start: Number(match[1]), end: Number(match[2]) };
    if (range.end < range.start || range.end >= size)
      return {
        status: 400,
        code: 'InvalidArgument',
        message: `Range specified is not valid for source object of size: ${size}`,
        detail: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: String(rangeHeader) },
      };
  }
  const sourcePath = store.getResourcePath(source.bucket, source.key, 'object');
  if (rangeHeader === undefined && size > 0 && /^[0-9a-f]{32}$/.test(etag)) {
    // A whole single-part object: its ETag is its MD5, so the part is a file copy (as S3 copies
    // without the caller's bytes, the stand-in copies without hashing them again).
    const partPath = join(uploadDirectory, String(partNumber));
    await mkdir(uploadDirectory, { recursive: true });
    await copyFile(sourcePath, partPath);
    await writeFile(`${partPath}.md5`, etag);
    return { md5: etag, lastModified: new Date().toISOString() };
  }
  // An empty source makes an empty part (a range of it cannot be asked: there is no byte to name).
  const content = size === 0 ? Readable.from([]) : createReadStream(sourcePath, range);
  const { md5 } = await store.putPart(bucket, uploadId, partNumber, content);
  return { md5, lastModified: new Date().toISOString() };
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…` (versions are not kept here). */
function copySourceOf(header: string): { bucket: string; key: string } | undefined {
  const path = header.split('?')[0]!.replace(/^\//, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
}

/** Whether the request is AbortMultipartUpload: a DELETE of an object key with `uploadId`. */
export function isAbortMultipartUpload(request: IncomingMessage): boolean {
  return request.method === 'DELETE' && new URL(request.url ?? '/', 'http://local').searchParams.has('uploadId');
}

/**
 * Answers AbortMultipartUpload, which s3rver refuses as MethodNotAllowed: the upload's
 * parts are dropped (204), or NoSuchUpload (404) for an upload that is not there.
 */
export async function answerAbortMultipartUpload(
  store: S3rver.Store,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
): Promise<void> {
  request.resume();
  const url = new URL(request.url ?? '/', 'http://local');
  const bucket = decodeURIComponent(/^\/([^/]+)\//.exec(url.pathname)?.[1] ?? '');
  const uploadId = url.searchParams.get('uploadId') ?? '';
  const directory = join(store.getResourcePath(bucket, '', 'uploads'), uploadId);
  if (!bucket || !uploadId || uploadId.includes('/') || uploadId.includes('..') || !(await exists(join(directory, 'key')))) {
    answerError(response, requestId, {
      status: 404,
      code: 'NoSuchUpload',
      message: NO_SUCH_UPLOAD,
      detail: { UploadId: uploadId },
    });
    return;
  }
  await rm(directory, { recursive: true, force: true });
  response.statusCode = 204;
  response.end();
}

/**
 * CompleteMultipartUpload refuses an upload with a part other than the last smaller than
 * 5 MiB (EntityTooSmall, naming the part), as S3 does; s3rver joins any parts.
 */
export function refuseSmallParts(store: S3rver.Store): void {
  const joinParts = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const ordered = [...parts].sort((a, b) => a.number - b.number);
    const directory = join(store.getResourcePath(bucket, '', 'uploads'), uploadId);
    for (const part of ordered.slice(0, -1)) {
      const size = await stat(join(directory, String(part.number))).then(
        (found) => found.size,
        () => undefined,
      );
      if (size !== undefined && size < MIN_PART_BYTES)
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
          ProposedSize: size,
          MinSizeAllowed: MIN_PART_BYTES,
          PartNumber: part.number,
          ETag: part.etag,
        });
    }
    return joinParts(bucket, uploadId, parts);
  };
}

/** S3's XML error document. */
function answerError(response: ServerResponse, requestId: string, refusal: Refusal): void {
  response.statusCode = refusal.status;
  response.setHeader('Content-Type', 'application/xml');
  const extra = Object.entries(refusal.detail ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
