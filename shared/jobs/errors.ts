import { PlatformError } from '../errors';
import type { JobStatus } from './Job';

/** A job cannot make the move asked of it from where it is (409). */
export class JobStateConflictError extends PlatformError {
  constructor(jobId: string, to: JobStatus, current: JobStatus | undefined) {
    super(`Batch ${jobId} cannot become ${to}${current ? ` while it is ${current}` : ''}.`, { code: 'invalid_state', status: 409, type: 'invalid_request_error' });
    this.name = 'JobStateConflictError';
  }
}
