import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import type { ChunkReport, JobEndReport } from '../../../shared/batchJobs/job/JobObserver';
import { chatLine, chunkMessage, createJob, JOB_ID, later, makeWorld, putInput, TENANT } from './jobWorld';

describe('per-job metrics (JobObserver)', () => {
  it("reports each chunk recorded with its lines and the backlog left, then the job's end", async () => {
    // Prepare: two chunks of two lines.
    const world = makeWorld();
    const chunks: ChunkReport[] = [];
    const ends: JobEndReport[] = [];
    const observer = { onChunkDone: (report: ChunkReport) => chunks.push(report), onJobEnded: (report: JobEndReport) => ends.push(report) };
    const lines = [chatLine('c1', 'a'), chatLine('c2', 'b'), chatLine('c3', 'c'), chatLine('c4', 'd')];
    const { etag, chunks: plans } = await putInput(world, lines, [2, 2]);
    await createJob(world, { chunksTotal: 2, total: 4, etag });

    // Act
    for (const plan of plans) await runChunk({ ...world.worker, observer }, chunkMessage(plan, etag), { deadline: later() });
    await finalizeJob({ ...world.finalizer, observer }, { kind: 'finalize', tenantId: TENANT, jobId: JOB_ID });

    // Assess
    expect(chunks).toEqual([
      { jobId: JOB_ID, tenantId: TENANT, lines: 2, durationMs: 0, backlogLines: 2, backlogChunks: 1 },
      { jobId: JOB_ID, tenantId: TENANT, lines: 2, durationMs: 0, backlogLines: 0, backlogChunks: 0 },
    ]);
    expect(ends).toEqual([{ jobId: JOB_ID, tenantId: TENANT, status: 'completed', lines: 4, durationSeconds: expect.any(Number) }]);
  });

  it('records the chunk even when the observer throws', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks: plans } = await putInput(world, [chatLine('c1', 'a')]);
    await createJob(world, { chunksTotal: 1, total: 1, etag });
    const observer = {
      onChunkDone: () => {
        throw new Error('broken');
      },
    };

    // Act
    const result = await runChunk({ ...world.worker, observer }, chunkMessage(plans[0]!, etag), { deadline: later() });

    // Assess
    expect(result.status).toBe('done');
  });
});
