import type { Job } from '../../../shared/batchJobs/job/Job';
import { expireJobs } from '../../../shared/batchJobs/finalize/expireJobs';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { MemoryJobStore } from '../../helpers/memoryPorts';
import { chatLine, chunkMessage, createJob, JOB_ID, jsonLines, later, makeWorld, NOW_MS, putInput, TENANT, BUCKET } from './jobWorld';
import { jobKeys } from '../../../shared/batchJobs/job/Job';

const NOW_S = NOW_MS / 1000;

function job(id: string, status: Job['status'], expiresAt: number): Job {
  return {
    id,
    tenantId: TENANT,
    status,
    source: { bucket: BUCKET, key: `inbox/${id}.jsonl` },
    completionWindow: '24h',
    metadata: {},
    requestCounts: { total: 1, completed: 0, failed: 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
    chunksTotal: 1,
    chunksDone: 0,
    createdAt: NOW_S - 90_000,
    expiresAt,
  };
}

describe('expireJobs', () => {
  it('expires in_progress and validating jobs past their window and leaves the others alone', async () => {
    // Prepare
    const jobs = new MemoryJobStore();
    const past = NOW_S - 10;
    for (const j of [
      job('running', 'in_progress', past),
      job('ingesting', 'validating', past),
      job('finalizing', 'finalizing', past),
      job('done', 'completed', past),
      job('failed', 'failed', past),
      job('cancelling', 'cancelling', past),
      job('cancelled', 'cancelled', past),
      job('young', 'in_progress', NOW_S + 10),
    ])
      await jobs.create(j);

    // Act
    const result = await expireJobs({ jobs, now: () => NOW_MS });

    // Assess
    expect(result).toEqual({ expired: ['running', 'ingesting'], skipped: ['finalizing'] });
    const statuses = Object.fromEntries([...jobs.jobs.values()].map((j) => [j.id, j.status]));
    expect(statuses).toEqual({
      running: 'expired',
      ingesting: 'expired',
      finalizing: 'finalizing',
      done: 'completed',
      failed: 'failed',
      cancelling: 'cancelling',
      cancelled: 'cancelled',
      young: 'in_progress',
    });
    expect(jobs.jobs.get('running')!.expiredAt).toBe(NOW_S);
  });

  it('lets the remaining chunks of an expired job drain as batch_expired and its finalize keep it expired', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x'), chatLine('c2', 'y')], [1, 1]);
    await createJob(world, { chunksTotal: 2, total: 2, etag, expiresAt: NOW_S + 1 });
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
    world.jobs.jobs.get(JOB_ID)!.expiresAt = NOW_S - 1;

    // Act
    const expired = await expireJobs({ jobs: world.jobs, now: () => NOW_MS });
    const drained = await runChunk(world.worker, chunkMessage(chunks[1]!, etag), { deadline: later() });
    await finalizeJob(world.finalizer, world.finalize.sent[0]!);

    // Assess
    expect(expired.expired).toEqual([JOB_ID]);
    expect(drained).toMatchObject({ status: 'done', counts: { completed: 0, failed: 1 } });
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID))).map((l) => l.custom_id)).toEqual(['c1']);
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID))).map((l) => [l.custom_id, l.error.code])).toEqual([
      ['c2', 'batch_expired'],
    ]);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({
      status: 'expired',
      requestCounts: { total: 2, completed: 1, failed: 1 },
      outputFileId: expect.any(String),
    });
  });
});
