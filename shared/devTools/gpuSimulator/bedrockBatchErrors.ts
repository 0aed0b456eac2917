/**
 * The errors of the simulated Bedrock control plane, each with the `x-amzn-errortype` and
 * HTTP status Bedrock's own model gives it, so `@aws-sdk/client-bedrock` throws the same
 * exception class it would against AWS.
 */

/** The Bedrock exceptions the batch inference operations answer with, and their statuses. */
export const BEDROCK_BATCH_ERROR_STATUS = {
  ValidationException: 400,
  ConflictException: 400,
  ServiceQuotaExceededException: 400,
  ResourceNotFoundException: 404,
  InternalServerException: 500,
} as const;
/** The name of a Bedrock exception. */
export type BedrockBatchErrorType = keyof typeof BEDROCK_BATCH_ERROR_STATUS;

/** A refusal of a batch inference operation, rendered as Bedrock renders it. */
export class BedrockBatchError extends Error {
  readonly errorType: BedrockBatchErrorType;
  readonly status: number;

  constructor(errorType: BedrockBatchErrorType, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BedrockBatchError';
    this.errorType = errorType;
    this.status = BEDROCK_BATCH_ERROR_STATUS[errorType];
  }
}
