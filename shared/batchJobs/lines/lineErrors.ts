import type * as z from 'zod';
import { fieldPath, valueAt } from '../../domain/validation';
import { CUSTOM_ID_MAX_LENGTH, type LineErrorCode } from './constants';
import type { LineError } from './types';

/** A refused line; the message is prefixed with its line number so it reads on its own in an errors file. */
export function lineError(lineNumber: number, code: LineErrorCode, message: string, customId?: string): LineError {
  return { ok: false, lineNumber, ...(customId === undefined ? {} : { customId }), code, message: `Line ${lineNumber}: ${message}` };
}

/**
 * The first issue of a failed schema parse, in the words `parseRequest` uses for HTTP
 * requests, with the field named from the root of the line (`body.messages[0].role`,
 * `modelInput.inferenceConfig.topP`) so the user can find it in the file.
 */
export function issueError(
  lineNumber: number,
  input: unknown,
  error: z.ZodError,
  prefix: readonly PropertyKey[],
  customId?: string,
): LineError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const field = fieldPath([...prefix, ...issue.path, issue.keys[0]!]);
    return lineError(lineNumber, 'unknown_parameter', `Unrecognized request argument supplied: ${field}`, customId);
  }
  const field = fieldPath([...prefix, ...issue.path]);
  // Looked up rather than read from the message: a missing union (`input`) says only "Invalid input".
  const missing = valueAt(input, issue.path) === undefined;
  const message = missing ? `Missing required parameter: '${field}'.` : `Invalid value for '${field}': ${issue.message}.`;
  return lineError(lineNumber, 'invalid_body', message, customId);
}

/** Fields of a line's JSON object that are not in `allowed`, as an unknown-parameter error. */
export function unknownField(
  lineNumber: number,
  record: Record<string, unknown>,
  allowed: readonly string[],
  customId: string,
): LineError | undefined {
  const unknown = Object.keys(record).find((key) => !allowed.includes(key));
  if (unknown === undefined) return undefined;
  return lineError(
    lineNumber,
    'unknown_parameter',
    `Unrecognized request argument supplied: ${unknown} (a line of this format has ${allowed.join(', ')}).`,
    customId,
  );
}

/** Reads the line's id field (`custom_id` or `recordId`): a non-empty string of at most 512 characters. */
export function readLineId(lineNumber: number, record: Record<string, unknown>, field: string): { id: string } | LineError {
  const value = record[field];
  if (value === undefined || value === null || value === '') {
    return lineError(
      lineNumber,
      'missing_custom_id',
      `Missing required parameter: '${field}'; every line needs a unique '${field}' to match its result.`,
    );
  }
  if (typeof value !== 'string') {
    return lineError(lineNumber, 'invalid_custom_id', `Invalid value for '${field}': expected a string, got ${describeJson(value)}.`);
  }
  if (value.length > CUSTOM_ID_MAX_LENGTH) {
    return lineError(
      lineNumber,
      'invalid_custom_id',
      `Invalid value for '${field}': ${value.length} characters, more than the ${CUSTOM_ID_MAX_LENGTH} allowed.`,
    );
  }
  return { id: value };
}

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const QUOTE_MAX_CHARS = 100;

/**
 * A value of the line quoted in a message: a string as JSON (cut at 100 characters) or a
 * scalar as it is, anything else by its kind. Never `JSON.stringify` of the value itself:
 * a line of 10,000 nested arrays is a few KB, within the line limit, yet stringifying it
 * throws a RangeError (call stack), which crashed ingest for the whole file.
 */
export function quoteJson(value: unknown): string {
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > QUOTE_MAX_CHARS ? `${quoted.slice(0, QUOTE_MAX_CHARS - 4)}…"` : quoted;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeJson(value);
}

/** What a JSON value is, for messages: `an array`, `a number`, `null`. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
