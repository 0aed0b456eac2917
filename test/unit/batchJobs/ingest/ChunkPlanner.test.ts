import { ChunkPlanner, type PlannedLine } from '../../../../shared/batchJobs/ingest/ChunkPlanner';
import type { ChunkPlan } from '../../../../shared/batchJobs/job/Job';

/** Lines laid out as a file would hold them: each `size` bytes plus a newline. */
function layout(statuses: PlannedLine['status'][], size: (i: number) => number = () => 9): PlannedLine[] {
  let offset = 0;
  return statuses.map((status, i) => {
    const bytes = status === 'blank' ? 0 : size(i);
    const line = { lineNumber: i + 1, startByte: offset, endByte: offset + bytes - 1, status };
    offset += bytes + 1;
    return line;
  });
}

function plan(
  lines: PlannedLine[],
  limits: ConstructorParameters<typeof ChunkPlanner>[0] = { chunkMaxLines: 3, chunkMaxBytes: 1_000 },
): ChunkPlan[] {
  const planner = new ChunkPlanner(limits);
  for (const line of lines) planner.add(line);
  planner.finish();
  return [...planner.chunks];
}

/** Every valid line is in exactly one chunk's range; each chunk's skipLines (blankLines) are exactly the refused (blank) lines in it. */
function expectSound(lines: PlannedLine[], chunks: ChunkPlan[], limits: { chunkMaxLines: number; chunkMaxBytes: number }): void {
  for (const line of lines.filter((l) => l.status === 'valid')) {
    const holders = chunks.filter((c) => line.lineNumber >= c.firstLine && line.lineNumber < c.firstLine + c.lineCount);
    expect(holders).toHaveLength(1);
    expect(line.startByte).toBeGreaterThanOrEqual(holders[0]!.startByte);
    expect(line.endByte).toBeLessThanOrEqual(holders[0]!.endByte);
  }
  chunks.forEach((chunk, index) => {
    const inside = lines.filter((l) => l.lineNumber >= chunk.firstLine && l.lineNumber < chunk.firstLine + chunk.lineCount);
    const valid = inside.filter((l) => l.status === 'valid');
    expect(chunk.index).toBe(index);
    expect(inside[0]!.startByte).toBe(chunk.startByte);
    expect(inside.at(-1)!.endByte).toBe(chunk.endByte);
    expect(inside[0]!.status).toBe('valid');
    expect(inside.at(-1)!.status).toBe('valid');
    expect(chunk.skipLines).toEqual(inside.filter((l) => l.status === 'refused').map((l) => l.lineNumber));
    expect(chunk.blankLines ?? []).toEqual(inside.filter((l) => l.status === 'blank').map((l) => l.lineNumber));
    expect(valid.length).toBeLessThanOrEqual(limits.chunkMaxLines);
    if (valid.length > 1) expect(chunk.endByte - chunk.startByte + 1).toBeLessThanOrEqual(limits.chunkMaxBytes);
  });
}

describe('ChunkPlanner', () => {
  it('cuts valid lines into chunks of at most chunkMaxLines', () => {
    // Prepare
    const lines = layout(Array(7).fill('valid'));
    // Act
    const chunks = plan(lines);
    // Assess
    expect(chunks).toEqual([
      { index: 0, startByte: 0, endByte: 28, firstLine: 1, lineCount: 3, skipLines: [] },
      { index: 1, startByte: 30, endByte: 58, firstLine: 4, lineCount: 3, skipLines: [] },
      { index: 2, startByte: 60, endByte: 68, firstLine: 7, lineCount: 1, skipLines: [] },
    ]);
  });

  it('cuts before a line that would take the range past chunkMaxBytes', () => {
    const chunks = plan(layout(Array(5).fill('valid')), { chunkMaxLines: 100, chunkMaxBytes: 25 });
    expect(chunks.map((c) => [c.firstLine, c.lineCount, c.endByte - c.startByte + 1])).toEqual([
      [1, 2, 19],
      [3, 2, 19],
      [5, 1, 9],
    ]);
  });

  it('lists refused lines inside a range as skipLines, blank ones as blankLines, and leaves out those at the edges', () => {
    // Prepare: refused 1, valid 2, refused 3, blank 4, valid 5, refused 6, blank 7.
    const lines = layout(['refused', 'valid', 'refused', 'blank', 'valid', 'refused', 'blank']);
    // Act
    const chunks = plan(lines);
    // Assess
    expect(chunks).toEqual([{ index: 0, startByte: 10, endByte: 39, firstLine: 2, lineCount: 4, skipLines: [3], blankLines: [4] }]);
  });

  it('leaves refused lines between two chunks out of both', () => {
    const lines = layout(['valid', 'valid', 'refused', 'valid', 'refused', 'valid']);
    const chunks = plan(lines, { chunkMaxLines: 2, chunkMaxBytes: 1_000 });
    expect(chunks.map((c) => [c.firstLine, c.lineCount, c.skipLines])).toEqual([
      [1, 2, []],
      [4, 3, [5]],
    ]);
  });

  it('gives a valid line larger than chunkMaxBytes a chunk of its own', () => {
    const lines = layout(['valid', 'valid', 'valid'], (i) => (i === 1 ? 500 : 9));
    const chunks = plan(lines, { chunkMaxLines: 10, chunkMaxBytes: 100 });
    expect(chunks.map((c) => [c.firstLine, c.lineCount])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('cuts a chunk short rather than list more than chunkMaxSkipLines refused lines', () => {
    const lines = layout(['valid', 'refused', 'refused', 'valid', 'refused', 'valid', 'refused', 'refused', 'refused', 'valid']);
    const chunks = plan(lines, { chunkMaxLines: 100, chunkMaxBytes: 1_000, chunkMaxSkipLines: 3 });
    expect(chunks.map((c) => [c.firstLine, c.lineCount, c.skipLines])).toEqual([
      [1, 6, [2, 3, 5]],
      [10, 1, []],
    ]);
  });

  it('plans nothing for a file without a valid line', () => {
    expect(plan(layout(['refused', 'blank', 'refused']))).toEqual([]);
  });

  it('returns each chunk as the line that closes it arrives', () => {
    const planner = new ChunkPlanner({ chunkMaxLines: 2, chunkMaxBytes: 1_000 });
    const closed = layout(Array(3).fill('valid')).map((line) => planner.add(line)?.index);
    expect(closed).toEqual([undefined, undefined, 0]);
    expect(planner.finish()?.index).toBe(1);
    expect(planner.validLines).toBe(3);
  });

  it('covers every valid line exactly once under random mixes and limits', () => {
    // Prepare: a seeded generator, so a failure can be replayed.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 200; run += 1) {
      const statuses = Array.from({ length: 1 + Math.floor(random() * 60) }, (): PlannedLine['status'] => {
        const r = random();
        return r < 0.6 ? 'valid' : r < 0.85 ? 'refused' : 'blank';
      });
      const limits = { chunkMaxLines: 1 + Math.floor(random() * 8), chunkMaxBytes: 10 + Math.floor(random() * 200) };
      const lines = layout(statuses, () => 1 + Math.floor(random() * 40));
      // Act
      const chunks = plan(lines, limits);
      // Assess
      expectSound(lines, chunks, limits);
    }
  });
});
