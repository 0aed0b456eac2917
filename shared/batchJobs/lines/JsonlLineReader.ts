import { isUtf8 } from 'node:buffer';
import type { ReadLine, TooLongLine } from './types';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;
/** Most lines handed over at once by {@link JsonlLineReader.batches}. */
const BATCH_LINES = 256;
/** A blank line: nothing but JSON's whitespace other than `\n` (space, tab, and a lone `\r`). */
const BLANK = /^[ \t\r]*$/;

/** How to read a JSONL stream. */
export interface JsonlLineReaderOptions {
  /** A line longer than this (in bytes, without its terminator) is yielded as {@link TooLongLine}. */
  maxLineBytes: number;
  /** Byte offset in the object of the stream's first byte (a ranged read); 0 by default. */
  startOffset?: number;
  /** Number of the stream's first line (a ranged read starting mid-file); 1 by default. */
  firstLineNumber?: number;
}

/**
 * Splits a byte stream of JSONL into lines, in memory bounded by the longest line
 * allowed whatever the size of the stream.
 *
 * - Lines end at `\n`; a `\r` before it is dropped, so CRLF files read the same.
 * - A UTF-8 BOM at byte 0 of the object is skipped; offsets stay those of the object.
 * - A last line without a newline is still a line; a newline at the very end adds none.
 * - Blank lines (only spaces, tabs and `\r`, a lone CR included) are yielded, flagged, so
 *   that line numbers stay those an editor shows; everyone skips them.
 * - A line over `maxLineBytes` is discarded as it streams past and reported by size.
 * - Bytes that are not UTF-8 are decoded as U+FFFD and the line is flagged.
 *
 * Splitting is done with `Buffer.indexOf` on whole pieces, never a byte at a time.
 */
export class JsonlLineReader implements AsyncIterable<ReadLine> {
  readonly #source: AsyncIterable<Buffer | Uint8Array | string>;
  readonly #maxLineBytes: number;
  readonly #startOffset: number;
  readonly #firstLineNumber: number;
  #peakBufferedBytes = 0;
  #bytesRead = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>, options: JsonlLineReaderOptions) {
    this.#source = source;
    this.#maxLineBytes = options.maxLineBytes;
    this.#startOffset = options.startOffset ?? 0;
    this.#firstLineNumber = options.firstLineNumber ?? 1;
  }

  /** The most bytes of an unfinished line held at once: what bounds the reader's memory. */
  get peakBufferedBytes(): number {
    return this.#peakBufferedBytes;
  }

  /** Bytes consumed from the source so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ReadLine> {
    for await (const lines of this.batches()) yield* lines;
  }

  /**
   * The same lines, a batch at a time (those of one piece of the stream, at most
   * {@link BATCH_LINES}): one await per batch instead of one per line, for a reader that
   * goes through lines faster than a stream hands them over one by one.
   */
  async *batches(): AsyncGenerator<ReadLine[]> {
    let batch: ReadLine[] = [];
    let lineNumber = this.#firstLineNumber;
    let lineStart = this.#startOffset;
    let position = this.#startOffset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // The current line is over the limit: its bytes are dropped until its newline.
    let skipping = false;
    // A \r right before a \n may end the previous piece.
    let previousByte = -1;

    for await (const raw of this.#source) {
      const piece = toBuffer(raw);
      let from = 0;
      while (from < piece.length) {
        const newline = piece.indexOf(NEWLINE, from);
        if (newline === -1) {
          if (!skipping) {
            pending.push(from === 0 ? piece : piece.subarray(from));
            pendingBytes += piece.length - from;
            if (pendingBytes > this.#peakBufferedBytes) this.#peakBufferedBytes = pendingBytes;
            // One byte of slack: a line of exactly the limit may still end in \r.
            if (pendingBytes > this.#maxLineBytes + 1) {
              skipping = true;
              pending = [];
              pendingBytes = 0;
            }
          }
          break;
        }
        const newlineAt = position + newline;
        if (skipping) {
          const before = newline > 0 ? piece[newline - 1] : previousByte;
          batch.push(tooLong(lineNumber, lineStart, newlineAt - (newlineAt > lineStart && before === CARRIAGE_RETURN ? 2 : 1)));
          skipping = false;
        } else {
          let bytes: Buffer;
          if (pendingBytes === 0) {
            bytes = piece.subarray(from, newline);
          } else {
            pending.push(piece.subarray(from, newline));
            bytes = Buffer.concat(pending, pendingBytes + newline - from);
            pending = [];
            pendingBytes = 0;
          }
          batch.push(this.#line(bytes, lineNumber, lineStart));
        }
        lineNumber += 1;
        lineStart = newlineAt + 1;
        from = newline + 1;
        if (batch.length >= BATCH_LINES) {
          yield batch;
          batch = [];
        }
      }
      position += piece.length;
      this.#bytesRead += piece.length;
      if (piece.length > 0) previousByte = piece[piece.length - 1]!;
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }

    if (skipping) {
      batch.push(tooLong(lineNumber, lineStart, position - (previousByte === CARRIAGE_RETURN ? 2 : 1)));
    } else if (pendingBytes > 0) {
      batch.push(this.#line(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes), lineNumber, lineStart));
    }
    if (batch.length > 0) yield batch;
  }

  /** A complete line's bytes (terminator excluded, maybe a \r left), as a line. */
  #line(bytes: Buffer, lineNumber: number, lineStart: number): ReadLine {
    let content = bytes;
    let startByte = lineStart;
    if (content.length > 0 && content[content.length - 1] === CARRIAGE_RETURN) content = content.subarray(0, content.length - 1);
    if (startByte === 0 && content[0] === BOM[0] && content[1] === BOM[1] && content[2] === BOM[2]) {
      content = content.subarray(BOM.length);
      startByte = BOM.length;
    }
    const endByte = startByte + content.length - 1;
    if (content.length > this.#maxLineBytes) return tooLong(lineNumber, startByte, endByte);
    const text = content.toString('utf8');
    // Decoding never throws; a U+FFFD only means bad bytes if the bytes do not hold one themselves.
    const invalidUtf8 = text.includes('\uFFFD') && !isUtf8(content);
    return { tooLong: false, lineNumber, startByte, endByte, text, blank: BLANK.test(text), invalidUtf8 };
  }
}

function tooLong(lineNumber: number, startByte: number, endByte: number): TooLongLine {
  return { tooLong: true, lineNumber, startByte, endByte, bytes: endByte - startByte + 1 };
}

function toBuffer(piece: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(piece)) return piece;
  if (typeof piece === 'string') return Buffer.from(piece, 'utf8');
  return Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
}
