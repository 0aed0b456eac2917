import { ContentRangeError } from './errors';

/** An inclusive byte range of a file of `size` bytes. */
export interface ByteRange {
  start: number;
  end: number;
  size: number;
}

/**
 * The range a `Range` header asks for (RFC 9110 §14.1.2), for a file of `size` bytes:
 * `bytes=START-END`, `bytes=START-` or `bytes=-SUFFIX`, one range only, its end clamped
 * to the file's last byte. Undefined (the whole file) for no header, or one this does not
 * serve (several ranges, another unit, malformed), as the RFC lets a server ignore it.
 * A range starting past the end is a 416, one longer than `maxBytes` a 413.
 */
export function parseByteRange(header: string | undefined, size: number, maxBytes: number): ByteRange | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return undefined;
  }
  if (start >= size || size === 0) throw new ContentRangeError(`The range starts past the file's end (${size} bytes).`, 416);
  if (end - start + 1 > maxBytes)
    throw new ContentRangeError(`A range may span at most ${maxBytes} bytes; this one spans ${end - start + 1}.`, 413);
  return { start, end, size };
}
