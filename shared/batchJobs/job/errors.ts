import { PlatformError } from '../../errors/PlatformError';
import type { JobStatus } from './Job';

/** A job cannot make the move asked of it from where it is (409). */
export class JobStateConflictError extends PlatformError {
  constructor(jobId: string, to: JobStatus, current: JobStatus | undefined) {
    super(`Batch ${jobId} cannot become ${to}${current ? ` while it is ${current}` : ''}.`, {
      code: 'invalid_state',
      status: 409,
      type: 'invalid_request_error',
    });
    this.name = 'JobStateConflictError';
  }
}

/**
 * A read pinned to an object's ETag found another version there (S3 answers 412
 * PreconditionFailed): it was replaced, and reading on would mix two versions.
 */
export class ObjectChangedError extends PlatformError {
  constructor(bucket: string, key: string, options: { cause?: unknown } = {}) {
    super(`The object s3://${bucket}/${key} is no longer the version that was read: it was replaced.`, {
      code: 'file_changed',
      status: 409,
      type: 'invalid_request_error',
      cause: options.cause,
    });
    this.name = 'ObjectChangedError';
  }
}

/** A read found no object at the key (S3 answers 404 NoSuchKey): it was deleted, or never written. */
export class ObjectMissingError extends PlatformError {
  constructor(bucket: string, key: string, options: { cause?: unknown } = {}) {
    super(`The object s3://${bucket}/${key} does not exist: it was deleted.`, {
      code: 'file_not_found',
      status: 404,
      type: 'not_found_error',
      cause: options.cause,
    });
    this.name = 'ObjectMissingError';
  }
}

/** Whether the error says the job's input is gone or replaced (the job cannot read it any more). */
export function isInputLost(error: unknown): error is ObjectChangedError | ObjectMissingError {
  return error instanceof ObjectChangedError || error instanceof ObjectMissingError;
}
