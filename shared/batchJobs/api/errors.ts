import { NotFoundError } from '../../errors/requestErrors';
import { PlatformError } from '../../errors/PlatformError';
import { fileKeys } from './constants';

/** No such file for this tenant: another tenant's file is answered the same, so ids cannot be probed (404). */
export class FileNotFoundError extends NotFoundError {
  constructor(fileId: string, param: string | null = null) {
    super(`No such File object: ${fileId}`, { code: 'file_not_found', param });
    this.name = 'FileNotFoundError';
  }
}

/** No such batch for this tenant, as for files (404). */
export class BatchNotFoundError extends NotFoundError {
  constructor(batchId: string) {
    super(`No batch found with id '${batchId}'.`, { code: 'batch_not_found' });
    this.name = 'BatchNotFoundError';
  }
}

/** An upload over what one Lambda request can carry; the file drop takes any size (413). */
export class UploadTooLargeError extends PlatformError {
  constructor(limitBytes: number, tenantId: string) {
    super(
      `Files over ${limitBytes} bytes cannot be uploaded through the API (a Lambda request carries at most 6 MB, and the upload arrives base64-encoded). ` +
        `Put the file in the platform bucket under '${fileKeys.inbox(tenantId)}' instead: that starts a batch job directly, which GET /v1/batches then shows.`,
      { code: 'file_too_large', status: 413, type: 'invalid_request_error', param: 'file' },
    );
    this.name = 'UploadTooLargeError';
  }
}

/** A file over what one Lambda response can carry; it is read from the bucket instead (413). */
export class FileContentTooLargeError extends PlatformError {
  constructor(fileId: string, bytes: number, limitBytes: number, location: { bucket: string; key: string }) {
    super(
      `File ${fileId} is ${bytes} bytes, over the ${limitBytes} bytes an API response can carry (a Lambda response is at most 6 MB, base64-encoded). ` +
        `Read it in parts with a Range header (bytes=START-END, at most ${limitBytes} bytes each), or from the platform bucket: s3://${location.bucket}/${location.key}.`,
      { code: 'file_too_large', status: 413, type: 'invalid_request_error' },
    );
    this.name = 'FileContentTooLargeError';
  }
}

/** No such Upload for this tenant, as for files (404). */
export class UploadNotFoundError extends NotFoundError {
  constructor(uploadId: string) {
    super(`No such Upload object: ${uploadId}`, { code: 'upload_not_found' });
    this.name = 'UploadNotFoundError';
  }
}

/** The Upload cannot do that from where it is: completed, cancelled or expired (409 `invalid_state`). */
export class UploadStateError extends PlatformError {
  constructor(uploadId: string, action: string, status: string) {
    super(`Upload ${uploadId} is ${status}: cannot ${action}.`, { code: 'invalid_state', status: 409, type: 'invalid_request_error' });
    this.name = 'UploadStateError';
  }
}

/** A part over what one Lambda request carries (413); send smaller parts. */
export class UploadPartTooLargeError extends PlatformError {
  constructor(limitBytes: number) {
    super(
      `A part may be at most ${limitBytes} bytes through this API (a Lambda request carries at most 6 MB, and the part arrives base64-encoded). Split the file into smaller parts.`,
      { code: 'file_too_large', status: 413, type: 'invalid_request_error', param: 'data' },
    );
    this.name = 'UploadPartTooLargeError';
  }
}

/** A `Range` of file content that starts past its end, or asks for more than one response carries. */
export class ContentRangeError extends PlatformError {
  constructor(message: string, status: 413 | 416) {
    super(message, {
      code: status === 416 ? 'range_not_satisfiable' : 'range_too_large',
      status,
      type: 'invalid_request_error',
      param: 'range',
    });
    this.name = 'ContentRangeError';
  }
}

/** A presigned file whose bytes have not been PUT yet cannot be read or batched (400 `file_not_ready`). */
export class FileNotReadyError extends PlatformError {
  constructor(fileId: string, param: string | null = null) {
    super(`File ${fileId} is still pending: PUT its bytes to the upload_url that POST /v1/files/presigned returned, then try again.`, {
      code: 'file_not_ready',
      status: 400,
      type: 'invalid_request_error',
      param,
    });
    this.name = 'FileNotReadyError';
  }
}
