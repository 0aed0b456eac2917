import type { BatchLimits } from '../../config/config';
import type { ChunkPlan } from '../job/Job';

/**
 * Most refused lines one chunk may list. A chunk travels in one SQS message (256 KB at
 * most) and one job-store item, so a range thick with refused lines is cut short.
 */
export const CHUNK_MAX_SKIP_LINES = 10_000;

/** A line as the planner sees it: where it is, and what ingest made of it. */
export interface PlannedLine {
  lineNumber: number;
  /** Inclusive byte offsets of the line's content in the object. */
  startByte: number;
  endByte: number;
  /** `valid`: a request to run; `refused`: in the ingest error part; `blank`: ignored by everyone. */
  status: 'valid' | 'refused' | 'blank';
}

interface OpenChunk {
  startByte: number;
  firstLine: number;
  validLines: number;
  lastValidLine: number;
  lastValidEnd: number;
  skipLines: number[];
  blankLines: number[];
}

/**
 * Cuts the input into chunks as its lines stream past, in one pass: each chunk is a
 * contiguous byte range holding at most `chunkMaxLines` valid lines and spanning at
 * most `chunkMaxBytes` bytes, so one worker invocation can finish it well within its
 * timeout.
 *
 * A chunk starts at a valid line and ends at one, so every valid line is in exactly one
 * chunk. Refused lines inside a range are listed in its `skipLines` for the worker to
 * pass over (only ingest can know a duplicate `custom_id`); refused and blank lines
 * before the first valid line, after the last, or between two chunks belong to no chunk.
 * A single valid line larger than `chunkMaxBytes` gets a chunk of its own, and a chunk
 * lists at most `chunkMaxSkipLines` refused and blank lines (see {@link CHUNK_MAX_SKIP_LINES}).
 * Blank lines inside a range are listed in its `blankLines`, so the request lines of a
 * chunk are known without reading it (for a chunk whose input is gone).
 */
export class ChunkPlanner {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #maxSkipLines: number;
  readonly #chunks: ChunkPlan[] = [];
  #open: OpenChunk | undefined;
  // Refused lines after the open chunk's last valid line: inside it only if another valid line joins.
  #trailing: number[] = [];
  // Blank lines after the open chunk's last valid line, likewise.
  #trailingBlank: number[] = [];
  #validLines = 0;

  constructor(limits: Pick<BatchLimits, 'chunkMaxLines' | 'chunkMaxBytes'> & { chunkMaxSkipLines?: number }) {
    this.#maxLines = limits.chunkMaxLines;
    this.#maxBytes = limits.chunkMaxBytes;
    this.#maxSkipLines = limits.chunkMaxSkipLines ?? CHUNK_MAX_SKIP_LINES;
  }

  /** Valid lines seen so far. */
  get validLines(): number {
    return this.#validLines;
  }

  /** The chunks closed so far, in order. */
  get chunks(): readonly ChunkPlan[] {
    return this.#chunks;
  }

  /** Takes the next line (in file order); returns the chunk it closed, if it closed one. */
  add(line: PlannedLine): ChunkPlan | undefined {
    if (line.status === 'blank') {
      if (this.#open) this.#trailingBlank.push(line.lineNumber);
      return undefined;
    }
    if (line.status === 'refused') {
      if (this.#open) this.#trailing.push(line.lineNumber);
      return undefined;
    }
    this.#validLines += 1;
    const open = this.#open;
    const fits =
      open !== undefined &&
      open.validLines < this.#maxLines &&
      line.endByte - open.startByte + 1 <= this.#maxBytes &&
      open.skipLines.length + this.#trailing.length + open.blankLines.length + this.#trailingBlank.length <= this.#maxSkipLines;
    if (open && fits) {
      // Emptied only when they hold lines: no two new arrays per valid line.
      if (this.#trailing.length > 0) {
        open.skipLines.push(...this.#trailing);
        this.#trailing = [];
      }
      if (this.#trailingBlank.length > 0) {
        open.blankLines.push(...this.#trailingBlank);
        this.#trailingBlank = [];
      }
      open.validLines += 1;
      open.lastValidLine = line.lineNumber;
      open.lastValidEnd = line.endByte;
      return undefined;
    }
    const closed = this.#close();
    this.#open = {
      startByte: line.startByte,
      firstLine: line.lineNumber,
      validLines: 1,
      lastValidLine: line.lineNumber,
      lastValidEnd: line.endByte,
      skipLines: [],
      blankLines: [],
    };
    return closed;
  }

  /** Closes the last chunk; returns it, if there was one open. */
  finish(): ChunkPlan | undefined {
    return this.#close();
  }

  #close(): ChunkPlan | undefined {
    const open = this.#open;
    this.#open = undefined;
    this.#trailing = [];
    this.#trailingBlank = [];
    if (!open) return undefined;
    const chunk: ChunkPlan = {
      index: this.#chunks.length,
      startByte: open.startByte,
      endByte: open.lastValidEnd,
      firstLine: open.firstLine,
      lineCount: open.lastValidLine - open.firstLine + 1,
      skipLines: open.skipLines,
      ...(open.blankLines.length > 0 ? { blankLines: open.blankLines } : {}),
    };
    this.#chunks.push(chunk);
    return chunk;
  }
}
