import { BatchInferenceRoute } from '../../../../shared/domain/catalogue';
import { decideBatchRoute, isBatchable, type BatchTarget } from '../../../../shared/batchJobs/batchInference/batchRoutePolicy';
import { packBatchGroups, planJobChunks, type ScannedLine } from '../../../../shared/batchJobs/ingest/planJobChunks';
import type { ParsedLine } from '../../../../shared/batchJobs/lines/types';

const target = (route: Partial<BatchInferenceRoute> = {}): BatchTarget => ({
  model: 'gpt-oss-120b',
  backendId: 'bedrock:openai.gpt-oss-120b-1:0',
  bedrockModel: 'openai.gpt-oss-120b-1:0',
  route: BatchInferenceRoute.parse(route),
});
const DAY = 24 * 3600;

describe('decideBatchRoute', () => {
  it('sends a share of at least the minimum records, with room in the window, to batch inference', () => {
    expect(decideBatchRoute({ target: target(), records: 100, metadata: {}, secondsLeft: DAY })).toEqual({ use: true });
  });

  it('keeps a share below the minimum (100 by default, or the model’s own) on demand', () => {
    expect(decideBatchRoute({ target: target(), records: 99, metadata: {}, secondsLeft: DAY })).toEqual({
      use: false,
      reason: 'too_few_records',
    });
    expect(decideBatchRoute({ target: target({ minRecords: 500 }), records: 499, metadata: {}, secondsLeft: DAY }).use).toBe(false);
  });

  it('keeps it on demand when the window has less than the route’s minWindowSeconds left', () => {
    expect(decideBatchRoute({ target: target(), records: 1000, metadata: {}, secondsLeft: 6 * 3600 - 1 })).toEqual({
      use: false,
      reason: 'window_too_short',
    });
  });

  it('honours the owner’s metadata over the catalogue default, both ways', () => {
    expect(decideBatchRoute({ target: target(), records: 1000, metadata: { bedrock_batch: 'off' }, secondsLeft: DAY })).toEqual({
      use: false,
      reason: 'opted_out',
    });
    expect(decideBatchRoute({ target: target({ enabled: false }), records: 1000, metadata: {}, secondsLeft: DAY }).use).toBe(false);
    expect(
      decideBatchRoute({ target: target({ enabled: false }), records: 1000, metadata: { bedrock_batch: 'on' }, secondsLeft: DAY }).use,
    ).toBe(true);
  });

  it('has nothing to decide for a model without a batch route', () => {
    expect(decideBatchRoute({ target: undefined, records: 1000, metadata: {}, secondsLeft: DAY })).toEqual({
      use: false,
      reason: 'no_batch_route',
    });
  });
});

describe('isBatchable', () => {
  const chat = (body: Record<string, unknown>) =>
    ({ ok: true, url: '/v1/chat/completions', body: { model: 'm', messages: [], ...body } }) as unknown as ParsedLine;
  it('takes plain chat lines and leaves tools, structured output and embeddings on demand', () => {
    expect(isBatchable(chat({}))).toBe(true);
    expect(isBatchable(chat({ tools: [] }))).toBe(false);
    expect(isBatchable(chat({ response_format: { type: 'json_object' } }))).toBe(false);
    expect(isBatchable({ ok: true, url: '/v1/embeddings', body: { model: 'e', input: 'x' } } as unknown as ParsedLine)).toBe(false);
  });
});

/** `count` lines of 100 bytes each; `modelOf(i)` names the model of line i (1-based). */
function lines(count: number, modelOf: (line: number) => string | 'blank' | 'refused'): ScannedLine[] {
  return Array.from({ length: count }, (_, i) => {
    const lineNumber = i + 1;
    const kind = modelOf(lineNumber);
    const position = { lineNumber, startByte: i * 101, endByte: i * 101 + 99 };
    if (kind === 'blank' || kind === 'refused') return { ...position, status: kind };
    return { ...position, status: 'valid', model: kind, batchable: true };
  });
}

const LIMITS = { chunkMaxLines: 500, chunkMaxBytes: 1_000_000 };
const routing = (t: BatchTarget) => ({
  targetOf: (model: string) => (model === t.model ? t : undefined),
  decide: (found: BatchTarget | undefined, records: number) => decideBatchRoute({ target: found, records, metadata: {}, secondsLeft: DAY }),
});

/** Every request line of a chunk, from its plan alone. */
function requestLines(chunk: { firstLine: number; lineCount: number; skipLines: number[]; blankLines?: number[] }): number[] {
  const not = new Set([...chunk.skipLines, ...(chunk.blankLines ?? [])]);
  return Array.from({ length: chunk.lineCount }, (_, i) => chunk.firstLine + i).filter((line) => !not.has(line));
}

describe('planJobChunks', () => {
  it('sends a batch model’s lines to one batch chunk and the rest to on-demand chunks, every valid line in exactly one', () => {
    // Prepare: 5,000 lines, every 100th one of a model without batch route, one refused, one blank.
    const scanned = lines(5000, (n) => (n === 7 ? 'refused' : n === 8 ? 'blank' : n % 100 === 0 ? 'gpt-oss-20b' : 'gpt-oss-120b'));
    // Act
    const plan = planJobChunks(scanned, LIMITS, routing(target()));
    // Assess
    const batch = plan.chunks.filter((chunk) => chunk.batch);
    expect(batch).toHaveLength(1);
    expect(batch[0]!.batch).toEqual({
      model: 'gpt-oss-120b',
      backendId: 'bedrock:openai.gpt-oss-120b-1:0',
      bedrockModel: 'openai.gpt-oss-120b-1:0',
    });
    expect(plan.batchLines).toEqual({ 'gpt-oss-120b': 4948 });
    const seen = plan.chunks.flatMap((chunk) => requestLines(chunk));
    const valid = scanned.filter((line) => line.status === 'valid').map((line) => line.lineNumber);
    expect(seen.sort((a, b) => a - b)).toEqual(valid);
    expect(plan.chunks.map((chunk) => chunk.index)).toEqual(plan.chunks.map((_, i) => i));
    expect(requestLines(batch[0]!).every((line) => line % 100 !== 0)).toBe(true);
  });

  it('lists a run of blank lines inside a batch chunk’s range, line by line', () => {
    // Prepare: 150 lines of the model, then a run of 3 blank lines (one entry), then 50 more.
    const before = lines(150, () => 'gpt-oss-120b');
    const run: ScannedLine = { lineNumber: 151, startByte: 150 * 101, endByte: 150 * 101, status: 'blank', count: 3 };
    const after = lines(50, () => 'gpt-oss-120b').map((line) => ({
      ...line,
      lineNumber: line.lineNumber + 153,
      startByte: line.startByte + 20_000,
      endByte: line.endByte + 20_000,
    }));
    // Act
    const plan = planJobChunks([...before, run, ...after], LIMITS, routing(target()));
    // Assess
    expect(plan.chunks).toHaveLength(1);
    expect(plan.chunks[0]).toMatchObject({ firstLine: 1, lineCount: 203, skipLines: [], blankLines: [151, 152, 153] });
  });

  it('runs a share below the minimum on demand', () => {
    const plan = planJobChunks(
      lines(150, (n) => (n <= 99 ? 'gpt-oss-120b' : 'gpt-oss-20b')),
      LIMITS,
      routing(target()),
    );
    expect(plan.chunks.some((chunk) => chunk.batch)).toBe(false);
    expect(plan.batchLines).toEqual({});
  });
});

describe('packBatchGroups', () => {
  const all = (count: number) => lines(count, () => 'gpt-oss-120b');
  const positions = (count: number) => Array.from({ length: count }, (_, i) => i);

  it('splits a share over the records quota into about equal jobs', () => {
    const groups = packBatchGroups(all(1200), positions(1200), target({ maxRecords: 500 }), 10_000);
    expect(groups.map((group) => group.length)).toEqual([400, 400, 400]);
  });

  it('keeps each job within the bytes quota (148 bytes a record here)', () => {
    const groups = packBatchGroups(all(1000), positions(1000), target({ maxFileBytes: 148 * 300 }), 10_000);
    expect(groups.every((group) => group.length <= 300)).toBe(true);
    expect(groups.flat()).toHaveLength(1000);
  });

  it('leaves lines on demand rather than make a job below the minimum', () => {
    const groups = packBatchGroups(all(150), positions(150), target({ maxRecords: 100 }), 10_000);
    expect(groups.map((group) => group.length)).toEqual([]);
    const spread = packBatchGroups(all(250), positions(250), target({ maxRecords: 200 }), 10_000);
    expect(spread.map((group) => group.length)).toEqual([125, 125]);
  });

  it('cuts a job whose range would list more than maxSkip foreign lines', () => {
    // Every other line is the model's: 1,000 members, 999 foreign lines between them.
    const scanned = lines(2000, (n) => (n % 2 ? 'gpt-oss-120b' : 'other'));
    const members = positions(2000).filter((p) => p % 2 === 0);
    const groups = packBatchGroups(scanned, members, target(), 300);
    expect(groups.every((group) => group.length <= 301)).toBe(true);
    expect(groups.flat().length).toBeGreaterThanOrEqual(900);
  });
});
