import type { BatchLimits } from '../../config/config';
import type { BatchEndpoint, ChunkPlan, ErrorCounts, InputFormat } from '../job/Job';
import { ObjectChangedError, ObjectMissingError } from '../job/errors';
import { jobKeys } from '../job/Job';
import type { ObjectStore } from '../../domain/ports';
import type { PartLine } from '../lines/bedrockOutput';
import { batchTargetOf, decideBatchRoute, isBatchable } from '../batchInference/batchRoutePolicy';
import { ChunkPlanner } from './ChunkPlanner';
import { planJobChunks, type ScannedLine } from './planJobChunks';
import { InputRefusedError } from './errors';
import { JsonlLineReader } from '../lines/JsonlLineReader';
import { JsonlPartWriter } from '../lines/JsonlPartWriter';
import { lineError } from '../lines/lineErrors';
import { batchRequestId, errorLine, parseReadLine } from '../lines/lineFormats';
import type { LineContext, LineError, ModelLookup, ParsedLine } from '../lines/types';

/** What the scan needs: the bucket, the catalogue and the limits. */
export interface ScanDeps extends ModelLookup {
  objects: ObjectStore;
  limits: BatchLimits;
}

/** The object to scan, and what is already known of it. */
export interface ScanRequest {
  jobId: string;
  bucket: string;
  key: string;
  /** The ETag HEAD gave: the read is pinned to it. */
  etag: string;
  format?: InputFormat;
  endpoint?: BatchEndpoint;
  bedrockModel?: string;
  /**
   * What the batch-inference policy needs of the job: its metadata and the seconds left in
   * its completion window. Absent: every line runs on demand.
   */
  batchRoute?: { metadata: Record<string, string>; secondsLeft: number };
}

/** What one pass over the input found. */
export interface ScanResult {
  /** Non-blank lines. */
  lines: number;
  validLines: number;
  invalidLines: number;
  /** The refused lines by error code. */
  errorCodes: ErrorCounts;
  chunks: ChunkPlan[];
  /** Lines sent to Bedrock batch inference, by public model id. */
  batchLines: Record<string, number>;
  /** Valid lines that run on demand (not through Bedrock batch inference), by public model id: the work each model's GPU pool faces. */
  onDemandLines: Record<string, number>;
  /** The file's format, fixed by its first valid line. */
  format?: InputFormat;
  firstError?: LineError;
  /** The model and the endpoint of every valid line, when they all use one. */
  model?: string;
  endpoint?: BatchEndpoint;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Streams the input once: validates every line, refuses duplicate ids, writes each
 * refused line to the job's ingest error part as it goes, and plans the chunks.
 *
 * Memory is bounded by the limits, not by the size of the file: one line at a time
 * (at most `maxLineBytes`), the ids seen so far (at most `maxLinesPerJob` of them,
 * to find duplicates), each non-blank line's place and model (a few numbers, for the plan
 * made once the counts per model are known; runs of blank lines kept as one), and the
 * chunk plan. Throws {@link InputRefusedError} for a file
 * that cannot be run at all (gzip, more lines than allowed); the error part written
 * so far is kept.
 */
export async function scanInput(deps: ScanDeps, request: ScanRequest): Promise<ScanResult> {
  const { limits } = deps;
  const context: LineContext = {
    resolveModel: (id, kind) => deps.resolveModel(id, kind),
    listModels: deps.listModels && (() => deps.listModels!()),
    endpoint: request.endpoint,
    bedrockModel: request.bedrockModel,
    format: request.format,
  };
  // Every line's place and status (a few numbers each; runs of blank lines as one): planned once the counts per model are known.
  const scanned: ScannedLine[] = [];
  // Without the batch route nothing waits for the counts: the chunks are cut as the lines stream past.
  const streaming = request.batchRoute ? undefined : new ChunkPlanner(limits);
  const keep = (line: ScannedLine) => (streaming ? streaming.add(line) : scanned.push(line));
  let validLines = 0;
  const part = new JsonlPartWriter(deps.objects, request.bucket, jobKeys.ingestErrors(request.jobId));
  // The first line each id was seen on, valid or not: an id names one line of the file.
  const seen = new Map<string, number>();
  let lines = 0;
  let invalidLines = 0;
  const errorCodes: ErrorCounts = {};
  let firstError: LineError | undefined;
  // At most two of each are kept: one is all that is reported, two mean "mixed".
  const models = new Set<string>();
  const endpoints = new Set<BatchEndpoint>();
  // One counter per model: bounded by the catalogue, not by the file.
  const linesByModel: Record<string, number> = {};

  try {
    const body = await readPinned(deps.objects, request);
    const reader = new JsonlLineReader(refuseGzip(body), { maxLineBytes: limits.maxLineBytes });
    for await (const line of reader) {
      const position = { lineNumber: line.lineNumber, startByte: line.startByte, endByte: line.endByte };
      const parsed = parseReadLine(line, limits.maxLineBytes, context);
      if (parsed === undefined) {
        const last = scanned[scanned.length - 1];
        if (last?.status === 'blank' && last.lineNumber + (last.count ?? 1) === line.lineNumber) last.count = (last.count ?? 1) + 1;
        else keep({ ...position, status: 'blank' });
        continue;
      }
      lines += 1;
      if (lines > limits.maxLinesPerJob) {
        throw new InputRefusedError(
          'too_many_lines',
          `The file has more than ${limits.maxLinesPerJob} lines, the most a job may have; split it into several files.`,
          { line: line.lineNumber },
        );
      }
      const outcome = refuseDuplicate(parsed, seen);
      if (outcome.ok) {
        context.format ??= outcome.format;
        if (models.size < 2) models.add(outcome.model);
        linesByModel[outcome.model] = (linesByModel[outcome.model] ?? 0) + 1;
        if (endpoints.size < 2) endpoints.add(outcome.url);
        validLines += 1;
        keep({ ...position, status: 'valid', model: outcome.model, batchable: isBatchable(outcome) });
        continue;
      }
      invalidLines += 1;
      errorCodes[outcome.code] = (errorCodes[outcome.code] ?? 0) + 1;
      firstError ??= outcome;
      keep({ ...position, status: 'refused' });
      // The echo of its input rides along; finalize writes the line in the job's output format.
      const refusal: PartLine = errorLine(outcome, batchRequestId(request.jobId, outcome.lineNumber));
      await part.writeLine(writableEcho(outcome) ? { ...refusal, echo: outcome.echo } : refusal);
    }
  } catch (error) {
    if (!(error instanceof InputRefusedError)) {
      await part.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    await part.close();
    throw error;
  }
  await part.close();
  const batchRoute = request.batchRoute;
  streaming?.finish();
  const plan = batchRoute
    ? planJobChunks(scanned, limits, {
        targetOf: (model) => batchTargetOf(deps.resolveModel(model)),
        decide: (target, records) => decideBatchRoute({ target, records, ...batchRoute }),
      })
    : { chunks: [...(streaming?.chunks ?? [])], batchLines: {} };
  return {
    lines,
    validLines,
    invalidLines,
    errorCodes,
    chunks: plan.chunks,
    batchLines: plan.batchLines,
    onDemandLines: onDemandLinesOf(linesByModel, plan.batchLines),
    format: context.format,
    ...(firstError ? { firstError } : {}),
    ...(models.size === 1 ? { model: [...models][0]! } : {}),
    ...(endpoints.size === 1 ? { endpoint: [...endpoints][0]! } : {}),
  };
}

/** Each model's valid lines less those planned for Bedrock batch inference; models left with none are left out. */
function onDemandLinesOf(linesByModel: Record<string, number>, batchLines: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(linesByModel)
      .map(([model, lines]) => [model, lines - (batchLines[model] ?? 0)] as const)
      .filter(([, lines]) => lines > 0),
  );
}

/**
 * The input as HEAD saw it. Replaced since (412 on the pinned read) or deleted since (404),
 * it is refused whole: `file_changed` / `file_not_found`, never a scan of other bytes.
 */
async function readPinned(objects: ObjectStore, request: ScanRequest): Promise<AsyncIterable<Buffer | Uint8Array | string>> {
  try {
    return await objects.read(request.bucket, request.key, { ifMatch: request.etag });
  } catch (error) {
    if (error instanceof ObjectChangedError) {
      throw new InputRefusedError(
        'file_changed',
        `The input object s3://${request.bucket}/${request.key} was replaced while it was being read; the new upload is a batch of its own.`,
        { cause: error },
      );
    }
    if (error instanceof ObjectMissingError) {
      throw new InputRefusedError(
        'file_not_found',
        `The input object s3://${request.bucket}/${request.key} was deleted before it could be read.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The line, or a `duplicate_custom_id` error if its id was on an earlier line. */
function refuseDuplicate(parsed: ParsedLine | LineError, seen: Map<string, number>): ParsedLine | LineError {
  const id = parsed.customId;
  if (id === undefined) return parsed;
  const first = seen.get(id);
  if (first === undefined) {
    seen.set(id, parsed.lineNumber);
    return parsed;
  }
  if (!parsed.ok) return parsed;
  const field = parsed.format === 'bedrock' ? 'recordId' : 'custom_id';
  const duplicate = lineError(
    parsed.lineNumber,
    'duplicate_custom_id',
    `Invalid value for '${field}': '${id}' is already used by line ${first}; every line needs its own.`,
    id,
  );
  return { ...duplicate, echo: parsed.echo };
}

/**
 * Whether a refused line's echo can be written: JSON.stringify throws (call stack) on a
 * line of thousands of nested arrays, which parses fine; such a record echoes nothing.
 */
function writableEcho(error: LineError): boolean {
  if (error.echo === undefined) return false;
  try {
    JSON.stringify(error.echo.modelInput);
    return true;
  } catch {
    return false;
  }
}

/** Passes the stream through, refusing it if it starts like a gzip file. */
async function* refuseGzip(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const raw of source) {
    const piece =
      typeof raw === 'string' ? Buffer.from(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (head === undefined) {
      yield piece;
      continue;
    }
    // The magic bytes may be split across the first pieces of a network stream.
    head = Buffer.concat([head, piece]);
    if (head.length < GZIP_MAGIC.length) continue;
    if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) throw gzipRefused();
    yield head;
    head = undefined;
  }
  if (head !== undefined && head.length > 0) yield head;
}

/** The refusal of a compressed input. */
export function gzipRefused(): InputRefusedError {
  return new InputRefusedError('unsupported_encoding', 'gzip is not supported; upload the uncompressed .jsonl');
}
