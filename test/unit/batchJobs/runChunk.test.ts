import { BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { batchRequestId } from '../../../shared/batchJobs/lines/lineFormats';
import { jobKeys } from '../../../shared/batchJobs/job/Job';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import {
  BUCKET,
  chatLine,
  chunkMessage,
  createJob,
  embeddingLine,
  JOB_ID,
  jsonLines,
  later,
  makeWorld,
  NOW_MS,
  POISON,
  putInput,
  TENANT,
  type World,
} from './jobWorld';

/** Ten requests (six chat, four embeddings, one of them with three inputs), plus a blank line and a line ingest refused. */
const TEN_LINES = [
  chatLine('c1', 'hello'),
  embeddingLine('e1', ['a', 'bb', 'ccc']),
  chatLine('c2', 'how are you'),
  '',
  '{"custom_id": broken',
  embeddingLine('e2', 'dddd'),
  chatLine('c3', 'tell me'),
  chatLine('c4', 'more'),
  embeddingLine('e3', ['eeeee']),
  chatLine('c5', 'again'),
  embeddingLine('e4', 'f'),
  chatLine('c6', 'last'),
];
const REFUSED_BY_INGEST = 5;

const partKeys = (world: World) => [...world.objects.objects.keys()].filter((key) => key.startsWith(`${BUCKET}/jobs/`));
const part = (world: World, kind: 'results' | 'errors', index: number, attempt: string) =>
  jsonLines(
    world.objects.text(
      BUCKET,
      kind === 'results' ? jobKeys.chunkResults(JOB_ID, index, attempt) : jobKeys.chunkErrors(JOB_ID, index, attempt),
    ),
  );

describe('runChunk', () => {
  it('runs a chunk of mixed chat and embeddings lines into result lines in the OpenAI batch output shape', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    const expectedCounts = {
      completed: 10,
      failed: 0,
      promptTokens: 6 * 3 + 6 * 1,
      completionTokens: 6 * 2,
      errorCodes: {},
      // Every line was served by the GPU pool: its tokens, and an estimate of the server time.
      routeUsage: [
        { route: 'gpu', model: 'g6e.xlarge', requests: 10, inputTokens: 6 * 3 + 6 * 1, outputTokens: 6 * 2, gpuMs: expect.any(Number) },
      ],
    };
    expect(result).toEqual({ status: 'done', counts: expectedCounts });
    const results = part(world, 'results', 0, 'a1');
    expect(results.map((line) => line.custom_id)).toEqual(['c1', 'e1', 'c2', 'e2', 'c3', 'c4', 'e3', 'c5', 'e4', 'c6']);
    expect(part(world, 'errors', 0, 'a1')).toEqual([]);
    expect(results[0]).toEqual({
      id: batchRequestId(JOB_ID, 1),
      custom_id: 'c1',
      response: {
        status_code: 200,
        request_id: expect.stringMatching(/^id\d+$/),
        body: {
          id: expect.stringMatching(/^chatcmpl-id\d+$/),
          object: 'chat.completion',
          created: NOW_MS / 1000,
          model: 'chat-a',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'gpu:served-a', refusal: null }, finish_reason: 'stop', logprobs: null },
          ],
          usage: {
            prompt_tokens: 3,
            completion_tokens: 2,
            total_tokens: 5,
            prompt_tokens_details: { cached_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 0 },
          },
        },
      },
      error: null,
    });
    expect(results[1]).toMatchObject({
      id: batchRequestId(JOB_ID, 2),
      error: null,
      response: {
        status_code: 200,
        body: {
          object: 'list',
          model: 'embed-b',
          usage: { prompt_tokens: 3, total_tokens: 3 },
          data: [1, 2, 3].map((length, index) => ({ object: 'embedding', index, embedding: [length, 0.5] })),
        },
      },
    });
    // Batching groups across lines: the six inputs of four lines go out in one call.
    expect(world.providers.get('gpu-embed')!.embedCalls).toEqual([{ model: 'served-b', inputs: ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'f'] }]);
    const job = await world.jobs.get(JOB_ID);
    expect(job).toMatchObject({
      chunksDone: 1,
      requestCounts: { total: 11, completed: 10, failed: 1 },
      usage: { promptTokens: 24, completionTokens: 12 },
    });
    expect(world.finalize.sent).toEqual([{ kind: 'finalize', tenantId: TENANT, jobId: JOB_ID }]);
  });

  it("asks for the finalize only when the last chunk is recorded, numbering lines from the chunk's first line", async () => {
    // Prepare
    const world = makeWorld();
    const lines = [chatLine('c1', 'one'), chatLine('c2', 'two'), embeddingLine('e1', 'three')];
    const { etag, chunks } = await putInput(world, lines, [2, 1]);
    await createJob(world, { chunksTotal: 2, total: 3, etag });

    // Act
    const second = await runChunk(world.worker, chunkMessage(chunks[1]!, etag), { deadline: later() });
    const sentAfterSecond = world.finalize.sent.length;
    const first = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    expect([second.status, first.status]).toEqual(['done', 'done']);
    expect(sentAfterSecond).toBe(0);
    expect(world.finalize.sent).toHaveLength(1);
    expect(part(world, 'results', 1, 'a1')).toEqual([expect.objectContaining({ id: batchRequestId(JOB_ID, 3), custom_id: 'e1' })]);
  });

  it('changes nothing when the same chunk is delivered again', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 2, total: 11, ingestFailed: 1, etag });
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
    const before = await world.jobs.get(JOB_ID);
    const callsBefore = world.providers.get('gpu')!.chatCalls.length;
    const partsBefore = partKeys(world);

    // Act
    const again = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    expect(again).toEqual({ status: 'already_done' });
    expect(await world.jobs.get(JOB_ID)).toEqual(before);
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(callsBefore);
    expect(partKeys(world)).toEqual(partsBefore);
  });

  it('records exactly one of two concurrent deliveries', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });

    // Act
    const results = await Promise.all([1, 2].map(() => runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() })));

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['already_done', 'done']);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({
      chunksDone: 1,
      requestCounts: { completed: 10, failed: 1 },
      usage: { promptTokens: 24, completionTokens: 12 },
    });
    expect((await world.jobs.chunkAttempts(JOB_ID)).size).toBe(1);
    // Both wrote their parts; only the recorded attempt's count.
    expect(partKeys(world)).toHaveLength(4);
  });

  it('isolates a poison request as one error line while the rest of the chunk succeeds', async () => {
    // Prepare
    const world = makeWorld();
    const lines = [
      embeddingLine('e1', 'fine'),
      embeddingLine('bad', `a ${POISON} input`),
      embeddingLine('e2', ['x', 'y']),
      chatLine('c1', 'hi'),
    ];
    const { etag, chunks } = await putInput(world, lines);
    await createJob(world, { chunksTotal: 1, total: 4, etag });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    expect(result).toMatchObject({ status: 'done', counts: { completed: 3, failed: 1 } });
    expect(part(world, 'results', 0, 'a1').map((line) => line.custom_id)).toEqual(['e1', 'e2', 'c1']);
    expect(part(world, 'errors', 0, 'a1')).toEqual([
      {
        id: batchRequestId(JOB_ID, 2),
        custom_id: 'bad',
        // The backend answered: a response with its status and the OpenAI error body.
        response: {
          status_code: 400,
          request_id: expect.any(String),
          body: {
            error: {
              code: 'backend_rejected_request',
              message: 'The model refused this batch.',
              type: 'invalid_request_error',
              param: null,
            },
          },
        },
        error: null,
      },
    ]);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ requestCounts: { total: 4, completed: 3, failed: 1 } });
  });

  it('sends the chunk back while failures may pass and the queue can redeliver it; writes them as errors on the last delivery', async () => {
    // Prepare: the backend is down.
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });
    world.providers.get('gpu')!.failWith = new BackendUnavailableError('down');
    world.providers.get('gpu-embed')!.failWith = new BackendUnavailableError('down');

    // Act
    const early = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later(), canRetry: true });
    const last = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later(), canRetry: false });

    // Assess
    expect(early).toEqual({ status: 'retry_later', cause: 'backend_unavailable' });
    expect(last.status).toBe('done');
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ chunksDone: 1, requestCounts: { total: 11, completed: 0, failed: 11 } });
  });

  it('names throttling as the cause when a backend refused for load, so the chunk comes back at its pace', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });
    world.providers.get('gpu')!.failWith = new BackendThrottledError('slow down');

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later(), canRetry: true });

    // Assess
    expect(result).toEqual({ status: 'retry_later', cause: 'rate_limited' });
  });

  it('a hung backend costs the chunk its remaining time, not its lines: nothing written, the chunk goes back, even on its last delivery', async () => {
    // Prepare: both backends accept calls and never answer
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    const created = await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });
    let calls = 0;
    const hang = (_: unknown, options?: { signal?: AbortSignal }) => {
      calls += 1;
      return new Promise<never>((_resolve, reject) =>
        options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true }),
      );
    };
    Object.assign(world.providers.get('gpu')!, { chat: hang });
    Object.assign(world.providers.get('gpu-embed')!, {
      embed: (_model: unknown, _inputs: unknown, options?: { signal?: AbortSignal }) => hang(undefined, options),
    });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: Date.now() + 2_200, canRetry: false });

    // Assess: the calls were made (the backends' expected latency is 2 s) and cut at the deadline
    expect(calls).toBeGreaterThan(0);
    expect(result).toEqual({ status: 'retry_later', cause: 'deadline' });
    expect(partKeys(world)).toEqual([]);
    expect(await world.jobs.get(JOB_ID)).toEqual(created);
  });

  it('writes and records nothing when the deadline leaves no time, so the chunk is redelivered', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    const created = await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: Date.now() + 10 });

    // Assess
    expect(result).toEqual({ status: 'retry_later', cause: 'deadline' });
    expect(partKeys(world)).toEqual([]);
    expect((await world.jobs.chunkAttempts(JOB_ID)).size).toBe(0);
    expect(await world.jobs.get(JOB_ID)).toEqual(created);
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(0);
    expect(world.finalize.sent).toEqual([]);
  });

  it('answers every line of a cancelling job as batch_cancelled without calling a backend', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, TEN_LINES, [TEN_LINES.length], [REFUSED_BY_INGEST]);
    await createJob(world, { chunksTotal: 1, total: 11, ingestFailed: 1, etag, status: 'cancelling' });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    expect(result).toEqual({
      status: 'done',
      counts: { completed: 0, failed: 10, promptTokens: 0, completionTokens: 0, errorCodes: { batch_cancelled: 10 } },
    });
    const errors = part(world, 'errors', 0, 'a1');
    expect(errors).toHaveLength(10);
    expect(errors[0]).toEqual({
      id: batchRequestId(JOB_ID, 1),
      custom_id: 'c1',
      response: null,
      error: { code: 'batch_cancelled', message: 'This request was not run because the batch was cancelled.' },
    });
    expect(new Set(errors.map((line) => line.error.code))).toEqual(new Set(['batch_cancelled']));
    expect(part(world, 'results', 0, 'a1')).toEqual([]);
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(0);
    expect(world.providers.get('gpu-embed')!.embedCalls).toHaveLength(0);
    expect(world.finalize.sent).toHaveLength(1);
  });

  it('expires a job whose window has passed and drains its chunk as batch_expired', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'late'), embeddingLine('e1', 'late')]);
    await createJob(world, { chunksTotal: 1, total: 2, etag, expiresAt: NOW_MS / 1000 - 1 });

    // Act
    const result = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Assess
    expect(result).toMatchObject({ status: 'done', counts: { completed: 0, failed: 2 } });
    expect(part(world, 'errors', 0, 'a1').map((line) => line.error)).toEqual(
      [1, 2].map(() => ({ code: 'batch_expired', message: 'This request was not run because the batch expired.' })),
    );
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ status: 'expired', chunksDone: 1 });
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(0);
  });

  it('skips finished jobs, sends back chunks of a job still being ingested, and asks again for a lost finalize', async () => {
    // Prepare
    const finished = makeWorld();
    const ingesting = makeWorld();
    const lost = makeWorld();
    const inputs = await Promise.all([finished, ingesting, lost].map((world) => putInput(world, [chatLine('c1', 'x')])));
    await createJob(finished, { chunksTotal: 1, total: 1, status: 'completed' });
    await createJob(ingesting, { chunksTotal: 0, total: 0, status: 'validating' });
    await createJob(lost, { chunksTotal: 1, total: 1 });
    await runChunk(lost.worker, chunkMessage(inputs[2]!.chunks[0]!), { deadline: later() });
    lost.finalize.sent.length = 0; // the send that was lost

    // Act
    const outcomes = await Promise.all(
      [finished, ingesting, lost].map((world, i) => runChunk(world.worker, chunkMessage(inputs[i]!.chunks[0]!), { deadline: later() })),
    );

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['skipped', 'retry_later', 'already_done']);
    expect(lost.finalize.sent).toEqual([{ kind: 'finalize', tenantId: TENANT, jobId: JOB_ID }]);
    expect(finished.providers.get('gpu')!.chatCalls).toHaveLength(0);
  });
});
