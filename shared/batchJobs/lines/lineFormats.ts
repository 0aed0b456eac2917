import { createHash } from 'node:crypto';
import type { InputFormat } from '../job/Job';
import type { BatchOutputLine } from '../../domain/outputLines';
import { parseBedrockLine } from './bedrockLine';
import { failureLine } from '../../domain/outputLines';
import { describeJson, isJsonObject, lineError } from './lineErrors';
import { parseOpenAiLine } from './openAiLine';
import type { LineContext, LineError, ParsedLine, ReadLine } from './types';

const FORMAT_NAMES: Record<InputFormat, string> = { openai: 'OpenAI', bedrock: 'Bedrock' };

/**
 * Parses one line of a batch input file into the request it carries, or the reason it
 * is refused. Pure and deterministic: the worker parses the lines of its chunk with it
 * (with the job's format); ingest screens each line with the first of its checks
 * (`screenBatchLine`) and answers a refusal with it, so a refusal reads the same wherever
 * it is made.
 *
 * The format is read from the line (`custom_id` → OpenAI, `recordId` → Bedrock; failing
 * those, `body`/`url`/`method` → OpenAI, `modelInput` → Bedrock). A file uses one
 * format: once `context.format` is set (ingest sets it from the first valid line), a
 * line of the other format is refused as `invalid_line` ("mixed formats"), since its
 * results would be keyed in two different ways.
 */
export function parseBatchLine(text: string, lineNumber: number, context: LineContext): ParsedLine | LineError {
  const read = readLineRecord(text, lineNumber, context);
  return 'ok' in read ? read : parseLineRecord(read.record, read.format, lineNumber, context);
}

/** A line's JSON object and the format its fields say it is in, as {@link parseBatchLine} reads them first. */
export interface LineRecord {
  record: Record<string, unknown>;
  format: InputFormat | undefined;
}

/**
 * The first steps of {@link parseBatchLine}: the line as a JSON object in one format,
 * or why it is not (`invalid_json`, `invalid_line`, mixed formats).
 */
export function readLineRecord(text: string, lineNumber: number, context: LineContext): LineRecord | LineError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return lineError(lineNumber, 'invalid_json', `the line is not valid JSON: ${(error as Error).message}.`);
  }
  if (!isJsonObject(value)) {
    return lineError(lineNumber, 'invalid_line', `a line must be a JSON object, got ${describeJson(value)}.`);
  }

  const format = detectLineFormat(value);
  if (format !== undefined && context.format !== undefined && format !== context.format) {
    const id = value[format === 'openai' ? 'custom_id' : 'recordId'];
    return lineError(
      lineNumber,
      'invalid_line',
      `mixed formats: line ${lineNumber} is ${FORMAT_NAMES[format]} format but the file started in ${FORMAT_NAMES[context.format]} format; a file uses one format throughout.`,
      typeof id === 'string' && id !== '' ? id : undefined,
    );
  }
  return { record: value, format };
}

/** The rest of {@link parseBatchLine}: the request a line's JSON object carries, or why it is refused. */
export function parseLineRecord(
  value: Record<string, unknown>,
  format: InputFormat | undefined,
  lineNumber: number,
  context: LineContext,
): ParsedLine | LineError {
  const parsed = parseLine(value, format ?? context.format, lineNumber, context);
  if (parsed.ok) return parsed;
  // A refused line's Bedrock error record still echoes its input.
  const input = value.modelInput ?? value.body;
  return isJsonObject(input) ? { ...parsed, echo: { modelInput: input, shape: 'openai' } } : parsed;
}

function parseLine(
  value: Record<string, unknown>,
  format: InputFormat | undefined,
  lineNumber: number,
  context: LineContext,
): ParsedLine | LineError {
  switch (format) {
    case 'openai':
      return parseOpenAiLine(value, lineNumber, context);
    case 'bedrock':
      return parseBedrockLine(value, lineNumber, context);
    default:
      return lineError(
        lineNumber,
        'missing_custom_id',
        `Missing required parameter: 'custom_id' (OpenAI batch format) or 'recordId' (Bedrock batch format).`,
      );
  }
}

/**
 * A line as the reader yields it: `undefined` for a blank line (ignored, never an
 * error), a refusal for a line too long or not UTF-8, otherwise {@link parseBatchLine}.
 */
export function parseReadLine(line: ReadLine, maxLineBytes: number, context: LineContext): ParsedLine | LineError | undefined {
  if (line.tooLong || line.invalidUtf8) return readLineRefusal(line, maxLineBytes);
  if (line.blank) return undefined;
  return parseBatchLine(line.text, line.lineNumber, context);
}

/** The refusal of a line too long or not UTF-8, before anything is parsed. */
export function readLineRefusal(line: ReadLine, maxLineBytes: number): LineError | undefined {
  if (line.tooLong) {
    return lineError(
      line.lineNumber,
      'line_too_long',
      `the line is ${line.bytes} bytes, more than the limit of ${maxLineBytes} bytes per line.`,
    );
  }
  if (line.blank) return undefined;
  if (line.invalidUtf8) {
    return lineError(line.lineNumber, 'invalid_utf8', 'the line is not valid UTF-8 text (is the file binary or in another encoding?).');
  }
  return undefined;
}

/** The format a line's fields say it is in, if they say. */
export function detectLineFormat(record: Record<string, unknown>): InputFormat | undefined {
  if ('custom_id' in record) return 'openai';
  if ('recordId' in record) return 'bedrock';
  if ('body' in record || 'url' in record || 'method' in record) return 'openai';
  if ('modelInput' in record) return 'bedrock';
  return undefined;
}

/**
 * A refused line as a line of the errors file, in the OpenAI batch output format
 * (`failureLine`: a request the HTTP API would refuse is a 400/404 response, a line that
 * carries no request is a top-level `error`). A line whose id could not be read (bad
 * JSON, no `custom_id`) gets `line-<n>` as its `custom_id`, so every line of the input
 * is still accounted for by a findable key; the message names the line number too.
 * `id` is the line's `batch_req_…` id; its request id is derived from it, so a rerun
 * writes the same bytes.
 */
export function errorLine(error: LineError, id?: string): BatchOutputLine {
  const lineId = id ?? `batch_req_line${error.lineNumber}`;
  const customId = error.customId ?? `line-${error.lineNumber}`;
  return failureLine(lineId, customId, error, lineId.replace(/^batch_req_/, 'req_'));
}

/**
 * The id of the request on line `lineNumber` of job `jobId`: `batch_req_` and 32 hex
 * characters, the same on every run, so rewriting a part after a redelivery writes
 * the same bytes.
 */
export function batchRequestId(jobId: string, lineNumber: number): string {
  return `batch_req_${createHash('sha256').update(`${jobId}:${lineNumber}`).digest('hex').slice(0, 32)}`;
}
