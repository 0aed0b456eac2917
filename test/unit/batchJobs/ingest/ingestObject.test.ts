import { MemoryFileStore } from '../../../helpers/memoryPorts';
import { gzipSync } from 'node:zlib';
import { ingestObject, ingestJob } from '../../../../shared/batchJobs/ingest/ingestObject';
import { createJobForObject } from '../../../../shared/batchJobs/ingest/createJobForObject';
import { jobKeys } from '../../../../shared/batchJobs/job/Job';
import { chatLine, embeddingsLine } from '../lines/batchFixtures';
import { BUCKET, ingestWorld, rereadChunk } from './ingestFixtures';
import { failureOfLine, isResultLine } from '../../../../shared/domain/outputLines';
import { parseBatchLine } from '../../../../shared/batchJobs/lines/lineFormats';
import { CustomIdSet } from '../../../../shared/batchJobs/ingest/CustomIdSet';
import { PLAN_PAGE_CHUNKS } from '../../../../shared/batchJobs/ingest/scanInput';
import type { LineError } from '../../../../shared/batchJobs/lines/types';

const chat = { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] };
const req = (id: string, fields: Record<string, unknown>) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: chat, ...fields });

/**
 * Twenty ways to break a line, each with the code its error must carry. Ingest refuses
 * what the file is judged on; a request broken inside its body passes ingest and is
 * refused by the worker's full parse ({@link WORKER_CODES} marks those lines).
 */
const BROKEN: [string, (n: number) => string][] = [
  ['invalid_json', (n) => `{"custom_id": "req-${n}",`],
  ['missing_custom_id', () => JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: chat })],
  ['invalid_url', (n) => req(`req-${n}`, { url: '/v1/completions' })],
  ['invalid_method', (n) => req(`req-${n}`, { method: 'PUT' })],
  ['model_not_found', (n) => req(`req-${n}`, { body: { ...chat, model: 'no-such-model' } })],
  ['unknown_parameter', (n) => req(`req-${n}`, { priority: 1 })],
  ['invalid_body', (n) => req(`req-${n}`, { body: { ...chat, messages: [{ role: 'robot', content: 'x' }] } })],
  ['unsupported_parameter', (n) => req(`req-${n}`, { body: { ...chat, stream: true } })],
  ['line_too_long', (n) => req(`req-${n}`, { body: { ...chat, messages: [{ role: 'user', content: 'x'.repeat(5_000) }] } })],
  ['invalid_utf8', () => Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x81]).toString('latin1')],
  ['invalid_line', () => '[1,2,3]'],
  ['duplicate_custom_id', () => chatLine('req-1')],
  ['unsupported_parameter', (n) => embeddingsLine(`req-${n}`).replace('"input"', '"dimensions":64,"input"')],
  ['invalid_body', (n) => req(`req-${n}`, { body: { ...chat, messages: [] } })],
  ['invalid_body', (n) => req(`req-${n}`, { body: { ...chat, temperature: 5 } })],
  ['invalid_line', (n) => JSON.stringify({ recordId: `rec-${n}`, modelInput: { inputText: 'x' } })],
  ['invalid_body', (n) => req(`req-${n}`, { body: undefined })],
  ['invalid_custom_id', (n) => req('x', { custom_id: n })],
  ['invalid_body', (n) => req(`req-${n}`, { body: { ...chat, n: 3 } })],
  ['unknown_parameter', (n) => req(`req-${n}`, { body: { ...chat, functions: [] } })],
];
/** The lines of {@link BROKEN} whose request is broken inside a well-formed envelope: the worker refuses them. */
const WORKER_REFUSED = new Set([7, 8, 13, 14, 15, 19, 20].map((k) => 25 + (k - 1) * 50));

/** A 1,000-line file: chat and embeddings lines, with the twenty broken ones at lines 25, 75, … 975. */
function thousandLines(): { body: Buffer; broken: Map<number, string>; valid: Map<number, string>; texts: Map<number, string> } {
  const broken = new Map<number, string>();
  const valid = new Map<number, string>();
  const texts = new Map<number, string>();
  const rows: Buffer[] = [];
  for (let n = 1; n <= 1_000; n += 1) {
    const k = (n - 25) / 50;
    if (Number.isInteger(k) && k >= 0 && k < BROKEN.length) {
      const [code, make] = BROKEN[k]!;
      broken.set(n, code);
      texts.set(n, make(n));
      // The garbage line is raw bytes, not UTF-8.
      rows.push(Buffer.from(`${make(n)}\n`, code === 'invalid_utf8' ? 'latin1' : 'utf8'));
    } else {
      const text = n % 3 === 0 ? embeddingsLine(`req-${n}`) : chatLine(`req-${n}`);
      valid.set(n, text);
      rows.push(Buffer.from(`${text}\n`));
    }
  }
  return { body: Buffer.concat(rows), broken, valid, texts };
}

describe('ingestObject', () => {
  it('plans a 1,000-line file with 20 broken lines: counts, chunks that re-read to exactly the lines to run, an error per line ingest refuses', async () => {
    // Prepare
    const world = ingestWorld({ chunkMaxLines: 100 });
    const { body, broken, valid, texts } = thousandLines();
    const event = await world.drop('inbox/tenant-1/big.jsonl', body);
    const atIngest = new Map([...broken].filter(([line]) => !WORKER_REFUSED.has(line)));
    const atWorker = new Map([...broken].filter(([line]) => WORKER_REFUSED.has(line)));
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess: the job.
    const job = (await world.jobs.get(summary.jobId))!;
    expect(summary).toEqual({
      jobId: job.id,
      status: 'in_progress',
      action: 'planned',
      lines: 1_000,
      validLines: 987,
      invalidLines: 13,
      chunks: job.chunksTotal,
    });
    expect(job).toMatchObject({
      status: 'in_progress',
      requestCounts: { total: 1_000, completed: 0, failed: 13 },
      chunksDone: 0,
      source: { bucket: BUCKET, key: event.key, format: 'openai' },
    });
    expect(job.chunksTotal).toBeGreaterThanOrEqual(10);
    // What each model's GPU pool faces (the fleet's PoolBacklog): the lines it will be sent, the worker-refused ones included
    // (all chat but the embeddings line with `dimensions`).
    const embeddings = [...valid.keys()].filter((n) => n % 3 === 0).length + 1;
    expect(job.onDemandLines).toEqual({ 'gpt-oss-20b': 987 - embeddings, 'bge-m3': embeddings });
    expect(job.inProgressAt).toBe(Math.floor(world.deps.now!().getTime() / 1000));
    // Assess: one message per chunk, re-reading to exactly the lines to run (valid, or broken inside the request), each once, in order.
    expect(world.chunks.sent).toHaveLength(job.chunksTotal);
    expect(world.chunks.sent.map((m) => m.chunk)).toEqual(await world.jobs.chunkPlan(job.id));
    const reread = (await Promise.all(world.chunks.sent.map((m) => rereadChunk(world.objects, m)))).flat();
    expect(reread.map((l) => l.lineNumber)).toEqual([...valid.keys(), ...atWorker.keys()].sort((a, b) => a - b));
    expect(reread.every((l) => l.text === (valid.get(l.lineNumber) ?? texts.get(l.lineNumber)))).toBe(true);
    expect(world.chunks.sent.every((m) => m.source.etag === job.source.etag && m.tenantId === 'tenant-1' && m.jobId === job.id)).toBe(true);
    // Assess: the worker's full parse refuses the others with the code ingest used to give.
    const context = { resolveModel: world.deps.resolveModel, format: 'openai' as const };
    expect([...atWorker.keys()].map((line) => [line, (parseBatchLine(texts.get(line)!, line, context) as LineError).code])).toEqual([
      ...atWorker.entries(),
    ]);
    // Assess: the error part names each line ingest refused, with the expected code.
    const errors = world.errorLines(job.id);
    expect(errors.map((e) => [Number(/^Line (\d+): /.exec(failureOfLine(e)!.message)?.[1]), failureOfLine(e)!.code])).toEqual([
      ...atIngest.entries(),
    ]);
    expect(errors.every((e) => !isResultLine(e) && /^batch_req_[0-9a-f]{32}$/.test(e.id))).toBe(true);
    // The job counts the same lines by code.
    const byCode: Record<string, number> = {};
    for (const code of atIngest.values()) byCode[code] = (byCode[code] ?? 0) + 1;
    expect(job.errorCounts).toEqual(byCode);
    expect(errors.find((e) => failureOfLine(e)!.code === 'invalid_json')!.custom_id).toBe('line-25');
    expect(errors.find((e) => failureOfLine(e)!.code === 'duplicate_custom_id')).toMatchObject({
      custom_id: 'req-1',
      error: { message: "Line 575: Invalid value for 'custom_id': 'req-1' is already used by line 1; every line needs its own." },
    });
  });

  it('refuses the later of two lines with the same custom_id: lines 3 and 900 → line 900', async () => {
    // Prepare
    const world = ingestWorld();
    const rows = Array.from({ length: 1_000 }, (_, i) => chatLine(i + 1 === 900 ? 'req-3' : `req-${i + 1}`));
    const event = await world.drop('inbox/tenant-1/dup.jsonl', `${rows.join('\n')}\n`);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ status: 'in_progress', validLines: 999, invalidLines: 1 });
    expect(world.errorLines(summary.jobId)).toEqual([
      expect.objectContaining({
        custom_id: 'req-3',
        error: expect.objectContaining({ code: 'duplicate_custom_id', message: expect.stringMatching(/^Line 900: .*line 3/) }),
      }),
    ]);
    expect(world.chunks.sent.some((m) => m.chunk.skipLines.includes(900))).toBe(true);
  });

  it('checks a duplicate found by hash exactly: two ids of the same hash are both run, and a real duplicate still refused', async () => {
    // Prepare: every id hashes alike, so each line after the first looks like a duplicate until re-read.
    const world = ingestWorld({ chunkMaxLines: 2 });
    const reads: number[] = [];
    const read = world.objects.read.bind(world.objects);
    world.objects.read = async (...args: Parameters<typeof read>) => {
      reads.push(1);
      return read(...args);
    };
    world.deps.newIdSet = () => new CustomIdSet({ hash: () => [1, 2] });
    const rows = ['a', 'b', 'c', 'a', 'd'].map((id) => chatLine(id));
    const event = await world.drop('inbox/tenant-1/collide.jsonl', `${rows.join('\n')}\n`);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess: 'b' and 'c' both claim line 1's hash, so it cannot be a duplicate of both: the file is scanned again keeping the ids.
    expect(reads).toHaveLength(2);
    // Only line 4 is refused, naming line 1.
    expect(summary).toMatchObject({ status: 'in_progress', validLines: 4, invalidLines: 1 });
    expect(world.errorLines(summary.jobId).map((e) => failureOfLine(e)!.message)).toEqual([
      "Line 4: Invalid value for 'custom_id': 'a' is already used by line 1; every line needs its own.",
    ]);
    const reread = (await Promise.all(world.chunks.sent.map((m) => rereadChunk(world.objects, m)))).flat();
    expect(reread.map((l) => l.lineNumber)).toEqual([1, 2, 3, 5]);
    expect(await world.jobs.chunkPlan(summary.jobId)).toHaveLength(summary.chunks);
  });

  it('scans again keeping the ids when the exact check finds that one duplicate by hash was not one', async () => {
    // Prepare: 'a' and 'b' hash alike; every other id hashes apart.
    const world = ingestWorld({ chunkMaxLines: 2 });
    let reads = 0;
    const read = world.objects.read.bind(world.objects);
    world.objects.read = async (...args: Parameters<typeof read>) => {
      reads += 1;
      return read(...args);
    };
    world.deps.newIdSet = () => new CustomIdSet({ hash: (id) => (id === 'a' || id === 'b' ? [1, 2] : [id.length, id.charCodeAt(0)]) });
    const event = await world.drop('inbox/tenant-1/collide-once.jsonl', `${['a', 'x', 'b', 'yy'].map((id) => chatLine(id)).join('\n')}\n`);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess: the hashed pass, the exact check of line 1, the pass keeping the ids; every line runs.
    expect(reads).toBe(3);
    expect(summary).toMatchObject({ status: 'in_progress', validLines: 4, invalidLines: 0, chunks: 2 });
    expect(world.errorLines(summary.jobId)).toEqual([]);
  });

  it('re-reads a file with a true duplicate once to confirm it, and plans it in pages', async () => {
    // Prepare
    const world = ingestWorld({ chunkMaxLines: 1 });
    let reads = 0;
    const read = world.objects.read.bind(world.objects);
    world.objects.read = async (...args: Parameters<typeof read>) => {
      reads += 1;
      return read(...args);
    };
    const pages: number[] = [];
    const save = world.jobs.saveChunkPlan.bind(world.jobs);
    world.jobs.saveChunkPlan = async (jobId, chunks) => {
      pages.push(chunks.length);
      return save(jobId, chunks);
    };
    const rows = Array.from({ length: 250 }, (_, i) => chatLine(i + 1 === 240 ? 'req-7' : `req-${i + 1}`));
    const event = await world.drop('inbox/tenant-1/dup-pages.jsonl', `${rows.join('\n')}\n`);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ validLines: 249, invalidLines: 1, chunks: 249 });
    expect(reads).toBe(2);
    expect(Math.max(...pages)).toBeLessThanOrEqual(PLAN_PAGE_CHUNKS);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(249);
    expect(world.chunks.sent.map((m) => m.chunk.index)).toEqual(Array.from({ length: 249 }, (_, i) => i));
  });

  it('stores the plan one page at a time while it reads on, in order, and fails the run when a page cannot be stored', async () => {
    // Prepare: 350 one-line chunks (four pages); the second page's save is slow, the third fails.
    const world = ingestWorld({ chunkMaxLines: 1 });
    const rows = Array.from({ length: 350 }, (_, i) => chatLine(`req-${i + 1}`));
    const event = await world.drop('inbox/tenant-1/pages.jsonl', `${rows.join('\n')}\n`);
    const firsts: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const save = world.jobs.saveChunkPlan.bind(world.jobs);
    world.jobs.saveChunkPlan = async (jobId, chunks) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      firsts.push(chunks[0]!.index);
      try {
        await new Promise((resolve) => setTimeout(resolve, firsts.length === 2 ? 20 : 0));
        if (firsts.length === 3) throw new Error('the table is unavailable');
        return await save(jobId, chunks);
      } finally {
        inFlight -= 1;
      }
    };
    // Act
    const failed = ingestObject(world.deps, event);
    // Assess: the error reaches the caller (the queue retries); the job waits, still validating.
    await expect(failed).rejects.toThrow('the table is unavailable');
    expect(firsts).toEqual([0, PLAN_PAGE_CHUNKS, 2 * PLAN_PAGE_CHUNKS]);
    expect(mostInFlight).toBe(1);
    const jobId = [...world.jobs.jobs.keys()][0]!;
    expect(world.jobs.jobs.get(jobId)!.status).toBe('validating');
    expect(world.chunks.sent).toEqual([]);
  });

  it('reads CRLF, a BOM and blank lines end to end, with ranges true to the bytes', async () => {
    // Prepare
    const world = ingestWorld({ chunkMaxLines: 2 });
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(`${chatLine('a')}\r\n\r\n${chatLine('b')}\r\n   \r\n${embeddingsLine('c')}`),
    ]);
    const event = await world.drop('inbox/tenant-1/crlf.jsonl', body);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ lines: 3, validLines: 3, invalidLines: 0, chunks: 2 });
    const lines = (await Promise.all(world.chunks.sent.map((m) => rereadChunk(world.objects, m)))).flat();
    expect(lines).toEqual([
      { lineNumber: 1, text: chatLine('a') },
      { lineNumber: 3, text: chatLine('b') },
      { lineNumber: 5, text: embeddingsLine('c') },
    ]);
    expect(world.errorLines(summary.jobId)).toEqual([]);
  });

  it('runs a Bedrock-format file with its model from the object metadata', async () => {
    // Prepare
    const world = ingestWorld();
    const rows = [1, 2, 3].map((i) =>
      JSON.stringify({ recordId: `rec-${i}`, modelInput: { messages: [{ role: 'user', content: [{ text: `hi ${i}` }] }] } }),
    );
    const event = await world.drop('inbox/tenant-1/bedrock.jsonl', rows.join('\n'), { model: 'openai.gpt-oss-20b-1:0' });
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    const job = (await world.jobs.get(summary.jobId))!;
    expect(job.source).toMatchObject({ format: 'bedrock', model: 'openai.gpt-oss-20b-1:0' });
    expect(world.chunks.sent[0]!.source).toMatchObject({ format: 'bedrock', model: 'openai.gpt-oss-20b-1:0' });
    expect(summary).toMatchObject({ status: 'in_progress', validLines: 3 });
  });

  it("ingests a job the Batch API created, holding its lines to the batch's endpoint", async () => {
    // Prepare: the API created the job in validating, its source an uploaded file, without an ETag.
    const world = ingestWorld();
    await world.objects.write(BUCKET, 'files/file-1', `${chatLine('a')}\n${embeddingsLine('b')}\n`);
    const { job } = await createJobForObject(world.deps, { tenantId: 't', bucket: BUCKET, key: 'files/file-1', etag: 'x' });
    world.jobs.jobs.set(job.id, { ...job, source: { bucket: BUCKET, key: 'files/file-1' }, endpoint: '/v1/chat/completions' });
    // Act
    const summary = await ingestJob(world.deps, job.id);
    // Assess
    expect(summary).toMatchObject({ status: 'in_progress', validLines: 1, invalidLines: 1 });
    expect(world.errorLines(job.id)[0]!.error).toMatchObject({ code: 'invalid_url', message: expect.stringContaining('Line 2:') });
  });
});

describe('ingestObject refuses a file it cannot run', () => {
  it.each([
    ['an empty object', '', 'empty_file', 'no line to run'],
    ['only blank lines', '\n  \n\r\n', 'empty_file', 'no line to run'],
  ])('fails the job for %s', async (_case, body, code, message) => {
    const world = ingestWorld();
    const summary = await ingestObject(world.deps, await world.drop('inbox/tenant-1/empty.jsonl', body));
    const job = (await world.jobs.get(summary.jobId))!;
    expect(job).toMatchObject({ status: 'failed', failure: { code, message: expect.stringContaining(message) } });
    expect(summary.action).toBe('failed');
    expect(world.chunks.sent).toEqual([]);
  });

  it('fails a file without a valid line, counting them and quoting the first error, and keeps the error part', async () => {
    // Prepare
    const world = ingestWorld();
    const event = await world.drop('inbox/tenant-1/bad.jsonl', `not json\n${req('a', { method: 'GET' })}\n${req('b', { url: '/x' })}\n`);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    const job = (await world.jobs.get(summary.jobId))!;
    expect(job.status).toBe('failed');
    expect(job.failure).toEqual({
      code: 'no_valid_lines',
      line: 1,
      message: expect.stringMatching(/^None of the 3 lines of the file is valid; the first error: Line 1: the line is not valid JSON/),
    });
    expect(job.requestCounts).toEqual({ total: 3, completed: 0, failed: 3 });
    expect(world.errorLines(job.id).map((e) => e.error!.code)).toEqual(['invalid_json', 'invalid_method', 'invalid_url']);
    expect(world.chunks.sent).toEqual([]);
    expect(await world.jobs.chunkPlan(job.id)).toEqual([]);
  });

  it("publishes the failed job's errors file, one line per refused line, when it has a file store", async () => {
    // Prepare
    const world = ingestWorld();
    const files = new MemoryFileStore();
    const event = await world.drop('inbox/tenant-1/bad.jsonl', `not json\n${req('a', { method: 'GET' })}\n`);
    // Act
    const summary = await ingestObject({ ...world.deps, files }, event);
    // Assess
    const job = (await world.jobs.get(summary.jobId))!;
    expect(job.status).toBe('failed');
    const record = await files.get(job.errorFileId!);
    expect(record).toMatchObject({ tenantId: 'tenant-1', purpose: 'batch_output', key: `outputs/${job.id}/errors.jsonl` });
    const text = world.objects.text(BUCKET, `outputs/${job.id}/errors.jsonl`)!;
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).error.code),
    ).toEqual(['invalid_json', 'invalid_method']);
  });

  it('fails every line of a Bedrock file without x-amz-meta-model, saying to set it', async () => {
    const world = ingestWorld();
    const event = await world.drop('inbox/tenant-1/nomodel.jsonl', JSON.stringify({ recordId: 'r', modelInput: { inputText: 'x' } }));
    const summary = await ingestObject(world.deps, event);
    expect((await world.jobs.get(summary.jobId))!.failure).toMatchObject({
      code: 'no_valid_lines',
      message: expect.stringContaining('set x-amz-meta-model'),
    });
  });

  it('fails a file with more lines than a job may have, without reading further', async () => {
    const world = ingestWorld({ maxLinesPerJob: 10 });
    const rows = Array.from({ length: 11 }, (_, i) => chatLine(`r${i}`));
    const summary = await ingestObject(world.deps, await world.drop('inbox/tenant-1/many.jsonl', `\n${rows.join('\n')}`));
    expect((await world.jobs.get(summary.jobId))!.failure).toEqual({
      code: 'too_many_lines',
      line: 12,
      message: 'The file has more than 10 lines, the most a job may have; split it into several files.',
    });
    expect(world.chunks.sent).toEqual([]);
  });

  it('fails a file over maxFileBytes without reading it', async () => {
    const world = ingestWorld({ maxFileBytes: 100 });
    const summary = await ingestObject(world.deps, await world.drop('inbox/tenant-1/large.jsonl', `${chatLine('a')}\n${chatLine('b')}`));
    expect((await world.jobs.get(summary.jobId))!.failure).toMatchObject({
      code: 'file_too_large',
      message: expect.stringContaining('more than the limit of 100 bytes'),
    });
    expect(world.objects.reads).toBe(0);
  });

  it.each([
    ['a .gz key', 'inbox/tenant-1/file.jsonl.gz', Buffer.from(chatLine('a')), 0],
    ['gzip magic bytes under a .jsonl key', 'inbox/tenant-1/file.jsonl', gzipSync(chatLine('a')), 1],
  ])('fails %s: gzip is not supported', async (_case, key, body, reads) => {
    const world = ingestWorld();
    const summary = await ingestObject(world.deps, await world.drop(key, body));
    expect((await world.jobs.get(summary.jobId))!.failure).toEqual({
      code: 'unsupported_encoding',
      message: 'gzip is not supported; upload the uncompressed .jsonl',
    });
    expect(world.objects.reads).toBe(reads);
  });

  it('fails a job whose object is gone, or was replaced after the drop', async () => {
    // Prepare
    const world = ingestWorld();
    const gone = await world.drop('inbox/tenant-1/gone.jsonl', chatLine('a'));
    world.objects.objects.delete(`${BUCKET}/${gone.key}`);
    const replaced = await world.drop('inbox/tenant-1/replaced.jsonl', chatLine('a'));
    await world.objects.write(BUCKET, replaced.key, chatLine('b'));
    // Act
    const first = await ingestObject(world.deps, gone);
    const second = await ingestObject(world.deps, replaced);
    // Assess
    expect((await world.jobs.get(first.jobId))!.failure!.code).toBe('file_not_found');
    expect((await world.jobs.get(second.jobId))!.failure!.code).toBe('file_changed');
    expect(world.objects.text(BUCKET, jobKeys.ingestErrors(second.jobId))).toBeUndefined();
  });
});

describe('ingestObject pins the input to the ETag of its drop', () => {
  /** Runs `change` right after the HEAD ingest makes, before its read: the window a replacement can hit. */
  function changeAfterHead(world: ReturnType<typeof ingestWorld>, change: () => Promise<void> | void) {
    const head = world.objects.head.bind(world.objects);
    world.objects.head = async (bucket, key) => {
      const info = await head(bucket, key);
      if (key.startsWith('inbox/')) await change();
      return info;
    };
  }

  it.each([
    ['replaced', 'file_changed'],
    ['deleted', 'file_not_found'],
  ])('fails a job whose input is %s between its HEAD and its read with %s, sending no chunk', async (what, code) => {
    // Prepare
    const world = ingestWorld();
    const drop = await world.drop('inbox/tenant-1/swap.jsonl', `${chatLine('a')}\n${chatLine('b')}\n`);
    changeAfterHead(world, () =>
      what === 'replaced' ? world.objects.write(BUCKET, drop.key, `${chatLine('z')}\n`) : world.objects.delete(BUCKET, drop.key),
    );

    // Act
    const summary = await ingestObject(world.deps, drop);

    // Assess
    expect(summary).toMatchObject({ status: 'failed', action: 'failed' });
    expect((await world.jobs.get(summary.jobId))!.failure!.code).toBe(code);
    expect(world.chunks.sent).toEqual([]);
  });

  it('300 lines then at once 5 lines under the same key: the first job fails file_changed, the second runs exactly the 5 lines', async () => {
    // Prepare: both uploads land before the first event is handled, as a quick re-upload does.
    const world = ingestWorld();
    const key = 'inbox/tenant-1/race.jsonl';
    const many = Array.from({ length: 300 }, (_, i) => chatLine(`old-${i + 1}`)).join('\n');
    const few = Array.from({ length: 5 }, (_, i) => chatLine(`new-${i + 1}`)).join('\n');
    const firstDrop = await world.drop(key, many);
    const secondDrop = await world.drop(key, few);

    // Act
    const first = await ingestObject(world.deps, firstDrop);
    const second = await ingestObject(world.deps, secondDrop);

    // Assess
    expect(first.jobId).not.toBe(second.jobId);
    expect((await world.jobs.get(first.jobId))!).toMatchObject({ status: 'failed', failure: { code: 'file_changed' } });
    expect((await world.jobs.get(second.jobId))!).toMatchObject({
      status: 'in_progress',
      requestCounts: { total: 5, completed: 0, failed: 0 },
    });
    expect(world.chunks.sent.every((message) => message.jobId === second.jobId)).toBe(true);
    const reread = (await Promise.all(world.chunks.sent.map((message) => rereadChunk(world.objects, message)))).flat();
    expect(reread.map((line) => JSON.parse(line.text).custom_id)).toEqual(['new-1', 'new-2', 'new-3', 'new-4', 'new-5']);
  });
});
