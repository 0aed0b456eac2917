import { JsonlLineReader } from '../../../../shared/batchJobs/lines/JsonlLineReader';
import type { ReadLine, TextLine } from '../../../../shared/batchJobs/lines/types';
import { piecesOf } from './batchFixtures';

async function readAll(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  maxLineBytes = 1024,
  options: { startOffset?: number; firstLineNumber?: number } = {},
): Promise<ReadLine[]> {
  const lines: ReadLine[] = [];
  for await (const line of new JsonlLineReader(source, { maxLineBytes, ...options })) lines.push(line);
  return lines;
}

function texts(lines: ReadLine[]): (string | number)[] {
  return lines.map((line) => (line.tooLong ? line.bytes : line.text));
}

/** Every text line's offsets give back its text from the original bytes. */
function expectOffsetsTrue(buffer: Buffer, lines: ReadLine[]): void {
  for (const line of lines) {
    if (line.tooLong) continue;
    expect(buffer.subarray(line.startByte, line.endByte + 1).toString('utf8')).toBe(line.text);
  }
}

describe('JsonlLineReader', () => {
  it('splits on \\n with 1-based numbers and inclusive byte offsets of the content', async () => {
    // Prepare
    const buffer = Buffer.from('{"a":1}\n{"b":22}\n');
    // Act
    const lines = await readAll(piecesOf(buffer, 7));
    // Assess
    expect(lines).toEqual([
      { tooLong: false, lineNumber: 1, startByte: 0, endByte: 6, text: '{"a":1}', blank: false, invalidUtf8: false },
      { tooLong: false, lineNumber: 2, startByte: 8, endByte: 15, text: '{"b":22}', blank: false, invalidUtf8: false },
    ]);
  });

  it('strips the \\r of CRLF line ends, keeping offsets on the content', async () => {
    const buffer = Buffer.from('one\r\ntwo\r\n\r\nthree\r');
    const lines = await readAll(piecesOf(buffer, 1));
    expect(texts(lines)).toEqual(['one', 'two', '', 'three']);
    expect(lines.map((l) => [l.startByte, l.endByte])).toEqual([
      [0, 2],
      [5, 7],
      [10, 9],
      [12, 16],
    ]);
    expectOffsetsTrue(buffer, lines);
  });

  it('skips a UTF-8 BOM at byte 0 and keeps offsets true to the object', async () => {
    const buffer = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"x":"é"}\n{"y":2}')]);
    const lines = await readAll(piecesOf(buffer, 2));
    expect(texts(lines)).toEqual(['{"x":"é"}', '{"y":2}']);
    expect(lines[0]!.startByte).toBe(3);
    expectOffsetsTrue(buffer, lines);
  });

  it('reads a last line without a trailing newline, and adds no line after a final newline', async () => {
    expect(texts(await readAll(piecesOf(Buffer.from('a\nb'), 7)))).toEqual(['a', 'b']);
    expect(texts(await readAll(piecesOf(Buffer.from('a\nb\n'), 7)))).toEqual(['a', 'b']);
    expect(await readAll(piecesOf(Buffer.alloc(0), 7))).toEqual([]);
  });

  it('yields blank lines flagged, so line numbers stay those of the file', async () => {
    const lines = (await readAll(piecesOf(Buffer.from('a\n\n  \t\nb\n'), 3))) as TextLine[];
    expect(lines.map((l) => [l.lineNumber, l.blank])).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, false],
    ]);
  });

  it('gives offsets that slice back every line, whatever the piece size', async () => {
    // Prepare: multi-byte characters, CRLF and LF mixed, blank lines, a BOM.
    const rows = Array.from({ length: 300 }, (_, i) => (i % 17 === 0 ? '' : `{"i":${i},"t":"${'ü€😀'.repeat(i % 5)}x"}`));
    const text = rows.map((row, i) => row + (i % 3 === 0 ? '\r\n' : '\n')).join('');
    const buffer = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const size of [1, 2, 3, 7, 64, 1000, buffer.length]) {
      // Act
      const lines = await readAll(piecesOf(buffer, size));
      // Assess
      expect(texts(lines)).toEqual(rows);
      expect(lines.map((l) => l.lineNumber)).toEqual(rows.map((_, i) => i + 1));
      expectOffsetsTrue(buffer, lines);
    }
  });

  it('accepts a line of exactly the limit, even in a CRLF file, and refuses one byte more', async () => {
    const lines = await readAll(piecesOf(Buffer.from(`${'a'.repeat(10)}\r\n${'b'.repeat(11)}\n${'c'.repeat(10)}`), 3), 10);
    expect(lines.map((l) => l.tooLong)).toEqual([false, true, false]);
    expect(lines[1]).toEqual({ tooLong: true, lineNumber: 2, startByte: 12, endByte: 22, bytes: 11 });
  });

  it('skips a 5 MB line past a 1 MB limit without holding it, and reads on after it', async () => {
    // Prepare: the long line is generated piece by piece, as a network stream gives it.
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const longBytes = 5 * 1024 * 1024;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"first":1}\n');
      for (let sent = 0; sent < longBytes; sent += piece.length) yield piece;
      yield Buffer.from('\r\n{"after":2}\n');
      for (let sent = 0; sent < longBytes; sent += piece.length) yield piece;
    }
    const reader = new JsonlLineReader(source(), { maxLineBytes: 1024 * 1024 });
    // Act
    const lines: ReadLine[] = [];
    for await (const line of reader) lines.push(line);
    // Assess
    const start = '{"first":1}\n'.length;
    expect(lines).toEqual([
      expect.objectContaining({ lineNumber: 1, text: '{"first":1}' }),
      { tooLong: true, lineNumber: 2, startByte: start, endByte: start + longBytes - 1, bytes: longBytes },
      expect.objectContaining({ lineNumber: 3, text: '{"after":2}' }),
      { tooLong: true, lineNumber: 4, startByte: start + longBytes + 14, endByte: start + 2 * longBytes + 13, bytes: longBytes },
    ]);
    // At most the limit plus the piece that crossed it, never the 5 MB line.
    expect(reader.peakBufferedBytes).toBeLessThanOrEqual(1024 * 1024 + piece.length);
    expect(reader.bytesRead).toBe(start + 2 * longBytes + 14);
  });

  it('flags bytes that are not UTF-8 instead of failing, and keeps a real U+FFFD unflagged', async () => {
    // Prepare
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x81, 0xc3, 0x28, 0x7b]);
    const buffer = Buffer.concat([garbage, Buffer.from('\n{"ok":"\uFFFD"}\n'), garbage]);
    // Act
    const lines = (await readAll(piecesOf(buffer, 4))) as TextLine[];
    // Assess
    expect(lines.map((l) => [l.lineNumber, l.invalidUtf8])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(lines[0]!.text).toContain('\uFFFD');
    expect(lines[1]!.text).toBe('{"ok":"\uFFFD"}');
  });

  it('takes strings and Uint8Arrays as well as Buffers', async () => {
    async function* mixed(): AsyncGenerator<string | Uint8Array> {
      yield 'ab';
      yield new Uint8Array([0x63, 0x0a, 0x64]);
    }
    expect(texts(await readAll(mixed()))).toEqual(['abc', 'd']);
  });

  it('numbers lines and offsets from where a ranged read starts', async () => {
    // Prepare: a chunk starting at byte 100, line 8 of its object; no BOM check away from byte 0.
    const buffer = Buffer.from('\xEF\xBB\xBFx\nyz', 'latin1');
    // Act
    const lines = await readAll(piecesOf(buffer, 7), 1024, { startOffset: 100, firstLineNumber: 8 });
    // Assess
    expect(lines.map((l) => [l.lineNumber, l.startByte, l.endByte])).toEqual([
      [8, 100, 103],
      [9, 105, 106],
    ]);
  });
});
