import { jobKeys } from '../../../shared/batchJobs/job/Job';
import type { BatchOutputLine } from '../../../shared/domain/outputLines';
import { JobStateConflictError } from '../../../shared/batchJobs/job/errors';
import { finalizeJob, JOB_COMPLETED_EVENT } from '../../../shared/batchJobs/finalize/finalizeJob';
import { outputFileIdOf } from '../../../shared/batchJobs/job/jobFiles';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { logger } from '../../../shared/observability/logger';
import { failureOfLine } from '../../../shared/domain/outputLines';
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
  POISON,
  putInput,
  TENANT,
  type World,
} from './jobWorld';

const FINALIZE = { kind: 'finalize', tenantId: TENANT, jobId: JOB_ID } as const;
const INGEST_ERROR = {
  id: 'batch_req_line3',
  custom_id: 'line-3',
  response: null,
  error: { code: 'invalid_json', message: 'Line 3: the line is not valid JSON.' },
};

/** A job of two chunks (one with a poison line) and one line ingest refused, every chunk run by the worker. */
async function jobWithDoneChunks(world: World, status: 'in_progress' | 'cancelling' | 'expired' = 'in_progress') {
  const lines = [
    chatLine('c1', 'one'),
    embeddingLine('e1', ['a', 'b']),
    '{"custom_id": broken',
    chatLine('c2', `a ${POISON}`),
    embeddingLine('e2', 'c'),
  ];
  const { etag, chunks } = await putInput(world, lines, [3, 2], [3]);
  await world.objects.write(BUCKET, jobKeys.ingestErrors(JOB_ID), `${JSON.stringify(INGEST_ERROR)}\n`);
  await createJob(world, { chunksTotal: 2, total: 5, ingestFailed: 1, etag });
  for (const chunk of chunks) await runChunk(world.worker, chunkMessage(chunk, etag), { deadline: later() });
  world.jobs.jobs.get(JOB_ID)!.status = status;
}

describe('finalizeJob', () => {
  it('stitches ingest errors and chunk parts, creates the file records, publishes one event and completes the job', async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);

    // Act
    const result = await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    const outputFileId = outputFileIdOf(JOB_ID, 'output');
    const errorFileId = outputFileIdOf(JOB_ID, 'error');
    expect(result).toEqual({ status: 'finalized', outputFileId, errorFileId });
    const results = jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID)));
    const errors = jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID)));
    expect(results.map((line) => line.custom_id)).toEqual(['c1', 'e1', 'e2']);
    expect(errors.map((line) => [line.custom_id, failureOfLine(line as BatchOutputLine)?.code])).toEqual([
      ['line-3', 'invalid_json'],
      ['c2', 'backend_rejected_request'],
    ]);
    const job = await world.jobs.get(JOB_ID);
    expect(job).toMatchObject({ status: 'completed', outputFileId, errorFileId, requestCounts: { total: 5, completed: 3, failed: 2 } });
    expect(world.files.files.get(outputFileId)).toEqual({
      id: outputFileId,
      tenantId: TENANT,
      purpose: 'batch_output',
      filename: `${JOB_ID}_output.jsonl`,
      bytes: Buffer.byteLength(world.objects.text(BUCKET, jobKeys.results(JOB_ID))!),
      createdAt: expect.any(Number),
      bucket: BUCKET,
      key: jobKeys.results(JOB_ID),
    });
    expect(world.files.files.get(errorFileId)).toMatchObject({ key: jobKeys.errors(JOB_ID), purpose: 'batch_output' });
    expect(world.events.events).toEqual([
      {
        detailType: JOB_COMPLETED_EVENT,
        detail: expect.objectContaining({
          jobId: JOB_ID,
          tenantId: TENANT,
          status: 'completed',
          request_counts: { total: 5, completed: 3, failed: 2 },
          usage: {
            prompt_tokens: job!.usage.promptTokens,
            completion_tokens: job!.usage.completionTokens,
            total_tokens: job!.usage.promptTokens + job!.usage.completionTokens,
          },
          output_file_id: outputFileId,
          error_file_id: errorFileId,
          results: { bucket: BUCKET, key: jobKeys.results(JOB_ID), lines: 3 },
          errors: { bucket: BUCKET, key: jobKeys.errors(JOB_ID), lines: 2 },
        }),
      },
    ]);
  });

  it("gives the output and error files the batch's output_expires_after, counted from their creation", async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);
    world.jobs.jobs.get(JOB_ID)!.outputExpiresAfterSeconds = 7_200;

    // Act
    await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    const output = world.files.files.get(outputFileIdOf(JOB_ID, 'output'))!;
    const errors = world.files.files.get(outputFileIdOf(JOB_ID, 'error'))!;
    expect(output.expiresAt).toBe(output.createdAt + 7_200);
    expect(errors.expiresAt).toBe(errors.createdAt + 7_200);
  });

  it('stitches only the parts of the delivery that won a chunk', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x'), chatLine('c2', 'y')]);
    await createJob(world, { chunksTotal: 1, total: 2, etag });
    await Promise.all([1, 2].map(() => runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() })));
    const winner = (await world.jobs.chunkAttempts(JOB_ID)).get(0)!;
    const loser = winner === 'a1' ? 'a2' : 'a1';
    await world.objects.write(BUCKET, jobKeys.chunkResults(JOB_ID, 0, loser), '{"custom_id":"LOSER"}\n');
    await world.objects.write(BUCKET, jobKeys.chunkErrors(JOB_ID, 0, loser), '{"custom_id":"LOSER-ERR"}\n');

    // Act
    await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    const results = world.objects.text(BUCKET, jobKeys.results(JOB_ID))!;
    expect(results).toBe(world.objects.text(BUCKET, jobKeys.chunkResults(JOB_ID, 0, winner)));
    expect(jsonLines(results).map((line) => line.custom_id)).toEqual(['c1', 'c2']);
    expect(world.objects.text(BUCKET, jobKeys.errors(JOB_ID))).toBe('');
  });

  it('does nothing the second time: one set of files, the job unchanged, no second event', async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);
    await finalizeJob(world.finalizer, FINALIZE);
    const job = await world.jobs.get(JOB_ID);
    const objectCount = world.objects.objects.size;

    // Act
    const again = await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    expect(again).toEqual({ status: 'already_final', outputFileId: job!.outputFileId, errorFileId: job!.errorFileId });
    expect(await world.jobs.get(JOB_ID)).toEqual(job);
    expect(world.files.files.size).toBe(2);
    expect(world.objects.objects.size).toBe(objectCount);
    expect(world.events.events).toHaveLength(1);
  });

  it('publishes again when it died between the event and the final move (at least once), then completes with the same files', async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);
    const transition = world.jobs.transition.bind(world.jobs);
    jest.spyOn(world.jobs, 'transition').mockImplementation(async (jobId, to, ...rest) => {
      if (to === 'completed' && world.events.events.length === 1) throw new Error('the function timed out');
      return transition(jobId, to, ...rest);
    });
    await expect(finalizeJob(world.finalizer, FINALIZE)).rejects.toThrow('timed out');

    // Act
    const retried = await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    expect(retried.status).toBe('finalized');
    expect(world.events.events.map((event) => event.detail.jobId)).toEqual([JOB_ID, JOB_ID]);
    expect(world.files.files.size).toBe(2);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ status: 'completed' });
  });

  it('lets two concurrent finalizes end the job once, with one set of files', async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);

    // Act
    const results = await Promise.all([finalizeJob(world.finalizer, FINALIZE), finalizeJob(world.finalizer, FINALIZE)]);

    // Assess
    expect(results.every((r) => r.status === 'finalized' || r.status === 'already_final')).toBe(true);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ status: 'completed', outputFileId: outputFileIdOf(JOB_ID, 'output') });
    expect(world.files.files.size).toBe(2);
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID)))).toHaveLength(3);
  });

  it('waits while chunks are missing', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x'), chatLine('c2', 'y')], [1, 1]);
    await createJob(world, { chunksTotal: 2, total: 2, etag });
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Act
    const result = await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    expect(result).toEqual({ status: 'not_ready' });
    expect(world.objects.text(BUCKET, jobKeys.results(JOB_ID))).toBeUndefined();
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ status: 'in_progress' });
    expect(world.events.events).toEqual([]);
  });

  it('ends a cancelling job cancelled and leaves an expired job expired, both with their files', async () => {
    // Prepare
    const cancelling = makeWorld();
    const expired = makeWorld();
    await jobWithDoneChunks(cancelling, 'cancelling');
    await jobWithDoneChunks(expired, 'expired');

    // Act
    await finalizeJob(cancelling.finalizer, FINALIZE);
    await finalizeJob(expired.finalizer, FINALIZE);
    const expiredAgain = await finalizeJob(expired.finalizer, FINALIZE);

    // Assess
    expect(await cancelling.jobs.get(JOB_ID)).toMatchObject({ status: 'cancelled', outputFileId: outputFileIdOf(JOB_ID, 'output') });
    expect(await expired.jobs.get(JOB_ID)).toMatchObject({
      status: 'expired',
      outputFileId: outputFileIdOf(JOB_ID, 'output'),
      errorFileId: outputFileIdOf(JOB_ID, 'error'),
    });
    expect(expiredAgain.status).toBe('already_final');
    expect([cancelling, expired].map((world) => world.events.events.map((event) => event.detail.status))).toEqual([
      ['cancelled'],
      ['expired'],
    ]);
  });

  it('gives no error file id when there are no errors, though both objects are written', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    await createJob(world, { chunksTotal: 1, total: 1, etag });
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });

    // Act
    const result = await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    expect(result.errorFileId).toBeUndefined();
    expect(await world.jobs.get(JOB_ID)).not.toHaveProperty('errorFileId');
    expect(world.objects.text(BUCKET, jobKeys.errors(JOB_ID))).toBe('');
    expect([...world.files.files.keys()]).toEqual([outputFileIdOf(JOB_ID, 'output')]);
  });

  it('warns when the lines written differ from the counts, and ends a part without a final newline cleanly', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    await createJob(world, { chunksTotal: 1, total: 2, ingestFailed: 1, etag });
    await world.objects.write(BUCKET, jobKeys.ingestErrors(JOB_ID), JSON.stringify(INGEST_ERROR)); // no trailing newline
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
    world.jobs.jobs.get(JOB_ID)!.requestCounts.total = 3;
    const warn = jest.spyOn(logger, 'warn');

    // Act
    await finalizeJob(world.finalizer, FINALIZE);

    // Assess
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID)))).toEqual([INGEST_ERROR]);
    expect(warn).toHaveBeenCalledWith(
      'output lines differ from the job counts',
      expect.objectContaining({ total: 3, resultLines: 1, errorLines: 1 }),
    );
    warn.mockRestore();
  });

  it('rethrows a conflict it cannot explain', async () => {
    // Prepare
    const world = makeWorld();
    await jobWithDoneChunks(world);
    jest.spyOn(world.jobs, 'transition').mockRejectedValueOnce(new JobStateConflictError(JOB_ID, 'finalizing', 'in_progress'));
    jest
      .spyOn(world.jobs, 'get')
      .mockImplementation(async () => undefined)
      .mockImplementationOnce(async (id) => structuredClone(world.jobs.jobs.get(id)));

    // Act
    const finalizing = finalizeJob(world.finalizer, FINALIZE);

    // Assess
    await expect(finalizing).rejects.toBeInstanceOf(JobStateConflictError);
  });
});
