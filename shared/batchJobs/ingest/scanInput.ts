import type { BatchLimits } from '../../config/config';
import type { BatchEndpoint, ChunkPlan, ErrorCounts, InputFormat } from '../job/Job';
import { ObjectChangedError, ObjectMissingError } from '../job/errors';
import { jobKeys } from '../job/Job';
import type { ObjectStore } from '../../domain/ports';
import type { PartLine } from '../lines/bedrockOutput';
import { batchTargetOf, decideBatchRoute, isBatchable } from '../batchInference/batchRoutePolicy';
import { ChunkPlanner } from './ChunkPlanner';
import { CustomIdSet } from './CustomIdSet';
import { planJobChunks, type ScannedLine } from './planJobChunks';
import { InputRefusedError } from './errors';
import { JsonlLineReader } from '../lines/JsonlLineReader';
import { JsonlPartWriter } from '../lines/JsonlPartWriter';
import { lineError } from '../lines/lineErrors';
import { batchRequestId, errorLine } from '../lines/lineFormats';
import { screenReadLine } from '../lines/screenBatchLine';
import type { LineContext, LineError, ModelLookup, ScreenedLine } from '../lines/types';

/** What the scan needs: the bucket, the catalogue and the limits. */
export interface ScanDeps extends ModelLookup {
  objects: ObjectStore;
  limits: BatchLimits;
  /** The set the ids are hashed into; tests stand in one whose hashes collide. */
  newIdSet?: () => CustomIdSet;
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
  /** The object's size, as HEAD gave it: sizes the table of ids once. */
  size?: number;
  /** Stores a page of the chunk plan (chunks in index order, at most {@link PLAN_PAGE_CHUNKS}); called again only once the last call settled. */
  savePlan(chunks: readonly ChunkPlan[]): Promise<void>;
}

/** What one pass over the input found. */
export interface ScanResult {
  /** Non-blank lines. */
  lines: number;
  validLines: number;
  invalidLines: number;
  /** The refused lines by error code. */
  errorCodes: ErrorCounts;
  /** Chunks planned (handed to `savePlan`). */
  chunkCount: number;
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

/** Chunks written to the job store at a time. */
export const PLAN_PAGE_CHUNKS = 100;

/** Lines read before the table of ids is sized for the whole file from their average length. */
const SIZING_LINES = 1_000;

/**
 * Streams the input once: screens every line (`screenBatchLine`), refuses duplicate ids,
 * writes each refused line to the job's ingest error part as it goes, and plans the
 * chunks, handing them to `savePlan` a page at a time.
 *
 * Memory is bounded by the limits, not by the size of the file: one line at a time
 * (at most `maxLineBytes`), 12 bytes per id seen (at most `maxLinesPerJob` of them, to
 * find duplicates: {@link CustomIdSet}), two pages of the chunk plan (one being stored while the scan reads on), and, when the batch
 * route may take lines, each non-blank line's place and model (a few numbers, for the
 * plan made once the counts per model are known; runs of blank lines kept as one).
 *
 * Ids are compared by a 64-bit hash. A line whose id hashes like an earlier one's is
 * refused as a duplicate, and once the file is read the two ids are compared exactly
 * (a second read of the file, only when it has such lines). Should two different ids
 * ever share a hash, the file is scanned again keeping the ids themselves.
 *
 * Throws {@link InputRefusedError} for a file that cannot be run at all (gzip, more
 * lines than allowed); the error part written so far is kept.
 */
export async function scanInput(deps: ScanDeps, request: ScanRequest): Promise<ScanResult> {
  const hashed = await scanOnce(
    deps,
    request,
    new HashedIds(deps.newIdSet?.() ?? new CustomIdSet(), deps.limits.maxLinesPerJob, request.size),
  );
  if (hashed) return hashed;
  return (await scanOnce(deps, request, new ExactIds()))!;
}

/** The ids of a file, seen line by line: answers the line an id was first used on. */
interface SeenIds {
  firstLineOf(id: string, lineNumber: number, bytesRead: number): number | undefined;
  /** Whether the duplicates it reported are exact, checked against the file if need be. */
  verify(deps: ScanDeps, request: ScanRequest, contextAt: (lineNumber: number) => LineContext): Promise<boolean>;
  /** Whether some duplicates wait for {@link verify}: the plan is then held back until they are checked. */
  readonly unverified: boolean;
}

/** The ids themselves: exact, 80 bytes or so each. */
class ExactIds implements SeenIds {
  readonly #seen = new Map<string, number>();
  readonly unverified = false;

  firstLineOf(id: string, lineNumber: number): number | undefined {
    const first = this.#seen.get(id);
    if (first === undefined) this.#seen.set(id, lineNumber);
    return first;
  }

  async verify(): Promise<boolean> {
    return true;
  }
}

/** 64-bit hashes of the ids, a duplicate checked exactly once the file is read. */
class HashedIds implements SeenIds {
  readonly #set: CustomIdSet;
  readonly #fileBytes: number | undefined;
  readonly #maxLines: number;
  // The id each reported first line must hold, for the lines said to repeat it.
  readonly #claims = new Map<number, string>();
  #consistent = true;
  #lines = 0;

  constructor(set: CustomIdSet, maxLines: number, fileBytes?: number) {
    this.#set = set;
    this.#maxLines = maxLines;
    this.#fileBytes = fileBytes;
  }

  get unverified(): boolean {
    return this.#claims.size > 0;
  }

  firstLineOf(id: string, lineNumber: number, bytesRead: number): number | undefined {
    this.#lines += 1;
    // Sized once for the whole file from the lines so far: no growth, no second table beside the first.
    if (this.#lines === SIZING_LINES && this.#fileBytes !== undefined && bytesRead > 0) {
      // Never above the job's line limit: a file of short first lines must not size a table of tens of millions.
      const estimate = Math.ceil(((this.#fileBytes / bytesRead) * SIZING_LINES) / 0.9);
      this.#set.reserve(Math.min(estimate, Math.ceil((this.#maxLines + 1) / 0.9)));
    }
    const first = this.#set.firstLineOf(id, lineNumber);
    if (first === undefined) return undefined;
    const claim = this.#claims.get(first);
    if (claim === undefined) this.#claims.set(first, id);
    else if (claim !== id) this.#consistent = false;
    return first;
  }

  /** Re-reads the file for the first lines of the duplicates reported: each must hold the id claimed. */
  async verify(deps: ScanDeps, request: ScanRequest, contextAt: (lineNumber: number) => LineContext): Promise<boolean> {
    if (!this.#consistent) return false;
    if (this.#claims.size === 0) return true;
    let last = 0;
    for (const line of this.#claims.keys()) last = Math.max(last, line);
    const body = await readPinned(deps.objects, request);
    for await (const line of new JsonlLineReader(body, { maxLineBytes: deps.limits.maxLineBytes })) {
      const claim = this.#claims.get(line.lineNumber);
      if (claim !== undefined && screenReadLine(line, deps.limits.maxLineBytes, contextAt(line.lineNumber))?.customId !== claim)
        return false;
      if (line.lineNumber >= last) break;
    }
    return true;
  }
}

/** One pass; undefined when a duplicate it reported turned out not to be one (a hash collision). */
async function scanOnce(deps: ScanDeps, request: ScanRequest, seen: SeenIds): Promise<ScanResult | undefined> {
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
  const page: ChunkPlan[] = [];
  let chunkCount = 0;
  // A full page is stored while the scan reads on; the next one waits for it (one page in flight at most).
  let saving: Promise<void> | undefined;
  const savePage = async () => {
    await saving;
    saving = request.savePlan(page.splice(0));
    // A failure is thrown where the save is next awaited, not left unhandled meanwhile.
    saving.catch(() => undefined);
  };
  const keep = (line: ScannedLine) => {
    if (!streaming) {
      scanned.push(line);
      return;
    }
    const closed = streaming.add(line);
    if (!closed) return;
    page.push(closed);
    chunkCount += 1;
  };
  // Held back while a duplicate waits for its exact check: a second scan would plan the rest anew.
  const pageFull = () => page.length >= PLAN_PAGE_CHUNKS && !seen.unverified;
  let validLines = 0;
  // The line whose format fixed the file's (the first valid one), when the request did not say.
  let formatLine: number | undefined;
  const part = new JsonlPartWriter(deps.objects, request.bucket, jobKeys.ingestErrors(request.jobId));
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
    let lastBlank: ScannedLine | undefined;
    // A batch of lines at a time: one await per batch, not per line.
    for await (const batch of reader.batches()) {
      for (const line of batch) {
        // Each line's entry is a literal of its own: a spread of a shared position cost more per line than screening it.
        const parsed = screenReadLine(line, limits.maxLineBytes, context);
        if (parsed === undefined) {
          if (streaming) keep({ lineNumber: line.lineNumber, startByte: line.startByte, endByte: line.endByte, status: 'blank' });
          else if (
            lastBlank &&
            lastBlank === scanned[scanned.length - 1] &&
            lastBlank.lineNumber + (lastBlank.count ?? 1) === line.lineNumber
          ) {
            lastBlank.count = (lastBlank.count ?? 1) + 1;
          } else {
            lastBlank = { lineNumber: line.lineNumber, startByte: line.startByte, endByte: line.endByte, status: 'blank' };
            keep(lastBlank);
          }
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
        const outcome = refuseDuplicate(parsed, seen, reader.bytesRead);
        if (outcome.ok) {
          if (context.format === undefined) {
            context.format = outcome.format;
            formatLine = outcome.lineNumber;
          }
          if (models.size < 2) models.add(outcome.model);
          linesByModel[outcome.model] = (linesByModel[outcome.model] ?? 0) + 1;
          if (endpoints.size < 2) endpoints.add(outcome.url);
          validLines += 1;
          keep({
            lineNumber: line.lineNumber,
            startByte: line.startByte,
            endByte: line.endByte,
            status: 'valid',
            model: outcome.model,
            batchable: isBatchable(outcome),
          });
          if (pageFull()) await savePage();
          continue;
        }
        invalidLines += 1;
        errorCodes[outcome.code] = (errorCodes[outcome.code] ?? 0) + 1;
        firstError ??= outcome;
        keep({ lineNumber: line.lineNumber, startByte: line.startByte, endByte: line.endByte, status: 'refused' });
        // The echo of its input rides along; finalize writes the line in the job's output format.
        const refusal: PartLine = errorLine(outcome, batchRequestId(request.jobId, outcome.lineNumber));
        await part.writeLine(writableEcho(outcome) ? { ...refusal, echo: outcome.echo } : refusal);
      }
    }
  } catch (error) {
    // Nothing of this pass is still being stored once it ends.
    await saving?.catch(() => undefined);
    if (!(error instanceof InputRefusedError)) {
      await part.abort(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    await part.close();
    throw error;
  }
  try {
    await saving;
  } catch (error) {
    await part.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  // A line is read as it was in the pass: in the format known by then.
  const before = { ...context, format: request.format };
  const contextAt = (lineNumber: number) => (formatLine !== undefined && lineNumber > formatLine ? context : before);
  if (!(await seen.verify(deps, request, contextAt))) {
    await part.abort(new Error('a duplicate id was a hash collision: the file is scanned again'));
    return undefined;
  }
  const batchRoute = request.batchRoute;
  let batchLines: Record<string, number> = {};
  if (streaming) {
    const last = streaming.finish();
    if (last) {
      page.push(last);
      chunkCount += 1;
    }
    const saveRest = async () => {
      while (page.length > 0) await request.savePlan(page.splice(0, PLAN_PAGE_CHUNKS));
    };
    // The error part's upload ends while the rest of the plan is stored: one round trip less.
    // Both settle before a failure is thrown, so nothing of this run goes on writing into its retry.
    const [closed, saved] = await Promise.allSettled([part.close(), saveRest()]);
    if (saved.status === 'rejected') throw saved.reason;
    if (closed.status === 'rejected') throw closed.reason;
  } else if (batchRoute) {
    await part.close();
    const plan = planJobChunks(scanned, limits, {
      targetOf: (model) => batchTargetOf(deps.resolveModel(model)),
      decide: (target, records) => decideBatchRoute({ target, records, ...batchRoute }),
    });
    for (let i = 0; i < plan.chunks.length; i += PLAN_PAGE_CHUNKS) await request.savePlan(plan.chunks.slice(i, i + PLAN_PAGE_CHUNKS));
    chunkCount = plan.chunks.length;
    batchLines = plan.batchLines;
  }
  return {
    lines,
    validLines,
    invalidLines,
    errorCodes,
    chunkCount,
    batchLines,
    onDemandLines: onDemandLinesOf(linesByModel, batchLines),
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
function refuseDuplicate(parsed: ScreenedLine | LineError, seen: SeenIds, bytesRead: number): ScreenedLine | LineError {
  const id = parsed.customId;
  if (id === undefined) return parsed;
  const first = seen.firstLineOf(id, parsed.lineNumber, bytesRead);
  if (first === undefined || !parsed.ok) return parsed;
  const field = parsed.format === 'bedrock' ? 'recordId' : 'custom_id';
  const duplicate = lineError(
    parsed.lineNumber,
    'duplicate_custom_id',
    `Invalid value for '${field}': '${id}' is already used by line ${first}; every line needs its own.`,
    id,
  );
  return { ...duplicate, echo: { modelInput: parsed.request, shape: 'openai' } };
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
