import { createHash } from 'node:crypto';
import { mulberry32 } from './faults';

/**
 * The pure parts of the simulated Bedrock batch inference: reading input records, writing
 * output lines and `manifest.json.out` in Bedrock's format ("View the results of a batch
 * inference job"), counting tokens from a model's answer, and picking which records fail.
 */

/** One input record: `{"recordId": "...", "modelInput": {...}}`. */
export interface BatchRecord {
  recordId: string;
  modelInput: Record<string, unknown>;
}

/** The answer to one record: the model's output, or Bedrock's per-record error. */
export type RecordResult =
  | { recordId: string; modelInput: Record<string, unknown>; modelOutput: unknown; inputTokens: number; outputTokens: number }
  | { recordId: string; modelInput: Record<string, unknown>; error: { errorCode: number; errorMessage: string } };

/** `manifest.json.out`, field for field. */
export interface BatchManifest {
  totalRecordCount: number;
  processedRecordCount: number;
  successRecordCount: number;
  errorRecordCount: number;
  inputTokenCount: number;
  outputTokenCount: number;
}

/** Why an input file cannot be read as batch records. */
export class BatchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchInputError';
  }
}

/** An 11-character alphanumeric id, as Bedrock gives a record that has none (stable per file and line). */
export function generatedRecordId(fileKey: string, line: number): string {
  const hash = createHash('sha256').update(`${fileKey}\u0000${line}`).digest();
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let id = '';
  for (let i = 0; i < 11; i += 1) id += alphabet[(hash[i] as number) % alphabet.length];
  return id;
}

/**
 * The records of one JSONL input file; blank lines are skipped.
 * @throws BatchInputError on a line that is not a JSON object with an object `modelInput`.
 */
export function parseBatchInput(fileKey: string, text: string): BatchRecord[] {
  const records: BatchRecord[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new BatchInputError(`${fileKey} line ${index + 1} is not valid JSON`);
    }
    const record = parsed as { recordId?: unknown; modelInput?: unknown };
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed) ||
      typeof record.modelInput !== 'object' ||
      record.modelInput === null ||
      Array.isArray(record.modelInput)
    ) {
      throw new BatchInputError(`${fileKey} line ${index + 1} has no modelInput object`);
    }
    if (record.recordId !== undefined && typeof record.recordId !== 'string') {
      throw new BatchInputError(`${fileKey} line ${index + 1}: recordId must be a string`);
    }
    records.push({
      recordId: record.recordId ?? generatedRecordId(fileKey, index + 1),
      modelInput: record.modelInput as Record<string, unknown>,
    });
  }
  return records;
}

/** Input and output tokens of a model's answer: OpenAI chat `usage`, Converse `usage`, or Titan's `inputTextTokenCount`. */
export function tokensOf(modelOutput: unknown): { inputTokens: number; outputTokens: number } {
  const body = (modelOutput ?? {}) as Record<string, unknown>;
  const usage = (body.usage ?? {}) as Record<string, unknown>;
  const number = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  if (body.usage !== undefined) {
    return {
      inputTokens: number(usage.prompt_tokens ?? usage.inputTokens),
      outputTokens: number(usage.completion_tokens ?? usage.outputTokens),
    };
  }
  return { inputTokens: number(body.inputTextTokenCount), outputTokens: 0 };
}

/** One line of a `.out` file: `modelOutput` on success, `error` in its place on failure. */
export function outputLine(result: RecordResult): string {
  if ('error' in result) return JSON.stringify({ recordId: result.recordId, modelInput: result.modelInput, error: result.error });
  return JSON.stringify({ recordId: result.recordId, modelInput: result.modelInput, modelOutput: result.modelOutput });
}

/** The manifest of a job that had `total` records and answered `results`. */
export function manifestOf(total: number, results: readonly RecordResult[]): BatchManifest {
  let successRecordCount = 0;
  let inputTokenCount = 0;
  let outputTokenCount = 0;
  for (const result of results) {
    if ('error' in result) continue;
    successRecordCount += 1;
    inputTokenCount += result.inputTokens;
    outputTokenCount += result.outputTokens;
  }
  return {
    totalRecordCount: total,
    processedRecordCount: results.length,
    successRecordCount,
    errorRecordCount: results.length - successRecordCount,
    inputTokenCount,
    outputTokenCount,
  };
}

/**
 * Which records of a job fail (`failedRecordRate`): a draw per record from a PRNG seeded
 * by the simulator seed and the job id, so a run replays exactly.
 */
export function failedRecordPicker(seed: number, jobId: string, rate: number): () => boolean {
  const hash = createHash('sha256').update(jobId).digest();
  const next = mulberry32((seed ^ hash.readUInt32BE(0)) >>> 0);
  return () => next() < rate;
}

/** The `.out` key of an input file: `<output prefix>/<jobId>/<input file name>.out`. */
export function outputKeyFor(outputPrefix: string, jobId: string, inputKey: string): string {
  const name = inputKey.slice(inputKey.lastIndexOf('/') + 1);
  return `${joinKey(outputPrefix, jobId)}/${name}.out`;
}

/** The manifest key: `<output prefix>/<jobId>/manifest.json.out`. */
export function manifestKeyFor(outputPrefix: string, jobId: string): string {
  return `${joinKey(outputPrefix, jobId)}/manifest.json.out`;
}

function joinKey(prefix: string, name: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? name : `${trimmed}/${name}`;
}

/** An `s3://bucket/key` URI split in two. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | null {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) return null;
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Bedrock's `creationTime` in its state-change events, e.g. `Aug 28, 2024, 10:47:53 PM` (UTC). */
export function eventCreationTime(date: Date): string {
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    hour12: true,
    timeZone: 'UTC',
  })
    .format(date)
    .replace(/\u202f/g, ' ');
}
