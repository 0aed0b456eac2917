import { batchRequestId } from '../../../shared/batchJobs/lines/lineFormats';
import { jobKeys } from '../../../shared/batchJobs/job/Job';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { requestLineNumbers } from '../../../shared/batchJobs/run/lostInput';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { BUCKET, chatLine, chunkMessage, createJob, INPUT_KEY, JOB_ID, jsonLines, later, makeWorld, putInput, TENANT } from './jobWorld';

const SIX_LINES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => chatLine(id, `hello ${id}`));

/** A six-line job in three chunks of two, the first chunk run and recorded. */
async function jobWithFirstChunkDone() {
  const world = makeWorld();
  const { etag, chunks } = await putInput(world, SIX_LINES, [2, 2, 2]);
  await createJob(world, { chunksTotal: 3, total: 6, etag });
  const first = await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
  expect(first.status).toBe('done');
  return { world, etag, chunks };
}

const finalizeMessage = { kind: 'finalize' as const, tenantId: TENANT, jobId: JOB_ID };

describe('a job whose input is replaced or deleted while it runs', () => {
  it.each([
    ['replaced', 'file_changed'],
    ['deleted', 'file_not_found'],
  ])(
    'input %s mid-run: the job ends failed with %s, keeps the results made, and every other line is an error with that code',
    async (what, code) => {
      // Prepare
      const { world, etag, chunks } = await jobWithFirstChunkDone();
      if (what === 'replaced') await world.objects.write(BUCKET, INPUT_KEY, `${chatLine('other', 'new bytes')}\n`.repeat(6));
      else world.objects.delete(BUCKET, INPUT_KEY);

      // Act
      const second = await runChunk(world.worker, chunkMessage(chunks[1]!, etag), { deadline: later() });
      const third = await runChunk(world.worker, chunkMessage(chunks[2]!, etag), { deadline: later() });
      const finalized = await finalizeJob(world.finalizer, finalizeMessage);

      // Assess
      expect(second).toEqual({
        status: 'done',
        counts: { completed: 0, failed: 2, promptTokens: 0, completionTokens: 0, errorCodes: { [code]: 2 } },
      });
      expect(third.status).toBe('done');
      expect(finalized.status).toBe('finalized');
      const job = (await world.jobs.get(JOB_ID))!;
      expect(job.status).toBe('failed');
      expect(job.failure).toMatchObject({ code });
      expect(job.requestCounts).toEqual({ total: 6, completed: 2, failed: 4 });
      expect(job.outputFileId).toBeDefined();
      expect(job.errorFileId).toBeDefined();
      const results = jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID)));
      const errors = jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID)));
      expect(results.map((line) => line.custom_id)).toEqual(['c1', 'c2']);
      expect(errors.map((line) => [line.id, line.custom_id, line.error.code])).toEqual(
        [3, 4, 5, 6].map((n) => [batchRequestId(JOB_ID, n), `line-${n}`, code]),
      );
      expect(world.providers.get('gpu')!.chatCalls.flatMap((call) => call.messages.map((m) => m.content))).not.toContain('new bytes');
      expect(world.finalize.sent).toEqual([finalizeMessage]);
    },
  );

  it('once the loss is recorded, later chunks answer from their plan without reading the input again (even if the key holds the same bytes again)', async () => {
    // Prepare
    const { world, etag, chunks } = await jobWithFirstChunkDone();
    const original = world.objects.text(BUCKET, INPUT_KEY)!;
    world.objects.delete(BUCKET, INPUT_KEY);
    await runChunk(world.worker, chunkMessage(chunks[1]!, etag), { deadline: later() });
    await world.objects.write(BUCKET, INPUT_KEY, original);
    const reads = world.objects.reads;

    // Act
    const third = await runChunk(world.worker, chunkMessage(chunks[2]!, etag), { deadline: later() });

    // Assess
    expect(third).toEqual({
      status: 'done',
      counts: { completed: 0, failed: 2, promptTokens: 0, completionTokens: 0, errorCodes: { file_not_found: 2 } },
    });
    expect(world.objects.reads).toBe(reads);
    expect((await world.jobs.get(JOB_ID))!.failure!.code).toBe('file_not_found');
  });

  it('the first cause recorded wins: a deletion after a replacement still reads file_changed on every lost line', async () => {
    // Prepare
    const { world, etag, chunks } = await jobWithFirstChunkDone();
    await world.objects.write(BUCKET, INPUT_KEY, 'replaced\n');

    // Act
    await runChunk(world.worker, chunkMessage(chunks[1]!, etag), { deadline: later() });
    world.objects.delete(BUCKET, INPUT_KEY);
    await runChunk(world.worker, chunkMessage(chunks[2]!, etag), { deadline: later() });
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    const errors = jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID)));
    expect(errors.map((line) => line.error.code)).toEqual(['file_changed', 'file_changed', 'file_changed', 'file_changed']);
    expect((await world.jobs.get(JOB_ID))!.failure!.code).toBe('file_changed');
  });

  it('a job whose input stays in place completes as before, with no failure recorded', async () => {
    // Prepare
    const { world, etag, chunks } = await jobWithFirstChunkDone();

    // Act
    for (const chunk of chunks.slice(1)) await runChunk(world.worker, chunkMessage(chunk, etag), { deadline: later() });
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job.status).toBe('completed');
    expect(job.failure).toBeUndefined();
  });
});

describe('requestLineNumbers', () => {
  it('is every line of the range but the refused and blank ones', () => {
    // Prepare
    const chunk = { index: 0, startByte: 0, endByte: 99, firstLine: 10, lineCount: 6, skipLines: [11], blankLines: [13, 14] };

    // Act
    const numbers = requestLineNumbers(chunk);

    // Assess
    expect(numbers).toEqual([10, 12, 15]);
  });
});
