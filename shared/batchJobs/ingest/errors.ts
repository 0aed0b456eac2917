import { PlatformError } from '../../errors/PlatformError';
import type { IngestFailureCode } from '../lines/constants';

/**
 * The input of a job cannot be run at all (too large, compressed, too many lines…):
 * ingest fails the job with this code and message rather than retrying. It is a 400
 * where a caller sees it directly.
 */
export class InputRefusedError extends PlatformError {
  /** The line the refusal is about, when it is about one. */
  readonly line: number | undefined;

  constructor(code: IngestFailureCode, message: string, options: { line?: number; cause?: unknown } = {}) {
    super(message, { code, status: 400, type: 'invalid_request_error', cause: options.cause });
    this.name = 'InputRefusedError';
    this.line = options.line;
  }
}
