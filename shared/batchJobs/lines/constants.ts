import { NOT_A_REQUEST_CODES } from '../../domain/outputLines';

/**
 * The codes a refused line's error carries (the `error.code` of its errors-file line).
 *
 * `invalid_custom_id` is ours beyond the list OpenAI documents: an id that is there but
 * is not a string or is too long is a different mistake from a missing one.
 */
export const LINE_ERROR_CODES = [
  ...NOT_A_REQUEST_CODES,
  'invalid_body',
  'unknown_parameter',
  'model_not_found',
  'unsupported_parameter',
] as const;
export type LineErrorCode = (typeof LINE_ERROR_CODES)[number];

/** The codes of a job failed as a whole by ingest (`job.failure.code`). */
export const INGEST_FAILURE_CODES = [
  'file_not_found',
  'file_changed',
  'file_too_large',
  'unsupported_encoding',
  'too_many_lines',
  'empty_file',
  'no_valid_lines',
  'invalid_output_format',
] as const;
export type IngestFailureCode = (typeof INGEST_FAILURE_CODES)[number];

/** Longest `custom_id` accepted, as OpenAI's batch API has it. */
export const CUSTOM_ID_MAX_LENGTH = 512;

/** The endpoints a line may target. */
export const CHAT_URL = '/v1/chat/completions';
export const EMBEDDINGS_URL = '/v1/embeddings';

/** The object metadata key naming a Bedrock-format file's model (`x-amz-meta-model`; SDKs strip the prefix). */
export const MODEL_METADATA_KEY = 'model';

/** The object metadata key asking for results in a format (`x-amz-meta-output-format`: `openai` or `bedrock`). */
export const OUTPUT_FORMAT_METADATA_KEY = 'output-format';

/** The batch metadata keys of the Batch API that the platform reads: the model of a Bedrock-format file, and the output format. */
export const MODEL_FIELD = 'model';
export const OUTPUT_FORMAT_FIELD = 'output_format';

/** Whether a value names a line format (`openai`, `bedrock`). */
export function isInputFormat(value: string): value is 'openai' | 'bedrock' {
  return value === 'openai' || value === 'bedrock';
}

/** Content type of the JSONL parts ingest writes. */
export const JSONL_CONTENT_TYPE = 'application/x-ndjson';

/**
 * The object metadata (`x-amz-meta-lines`) with which a part's writer vouches that the
 * part holds this many lines, each ending in a newline and nothing after the last: such a
 * part can be stitched without being read.
 */
export const PART_LINES_METADATA = 'lines';

/** The metadata of a part file of `lines` newline-ended lines (see {@link PART_LINES_METADATA}). */
export function countedPartMetadata(lines: number): Record<string, string> {
  return { [PART_LINES_METADATA]: String(lines) };
}
