import type { ChunkMessage } from '../../../shared/batchJobs/job/Job';
import { jobKeys } from '../../../shared/batchJobs/job/Job';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { CHUNK_ABANDONED, sweepStalledJobs } from '../../../shared/batchJobs/finalize/sweepStalledJobs';
import type { SweepStalledJobsDeps } from '../../../shared/batchJobs/finalize/types';
import { MemorySender } from '../../helpers/memoryPorts';
import {
  BUCKET,
  chatLine,
  chunkMessage,
  createJob,
  JOB_ID,
  jsonLines,
  later,
  makeWorld,
  NOW_MS,
  putInput,
  TENANT,
  type World,
} from './jobWorld';

const STALLED_AFTER_S = 3_600;
const MAX_REDRIVES = 2;
const SIX_LINES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => chatLine(id, `hello ${id}`));
const finalizeMessage = { kind: 'finalize' as const, tenantId: TENANT, jobId: JOB_ID };

/** A six-line job in three chunks whose first chunk ran and whose other two messages were lost. */
async function stalledJob() {
  const world = makeWorld();
  const { etag, chunks } = await putInput(world, SIX_LINES, [2, 2, 2]);
  await createJob(world, { chunksTotal: 3, total: 6, etag });
  await world.jobs.saveChunkPlan(JOB_ID, chunks);
  await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
  return { world, etag, chunks };
}

function sweeper(world: World, atMs: number) {
  let attempts = 0;
  const chunks = new MemorySender<ChunkMessage>();
  const deps: SweepStalledJobsDeps = {
    jobs: world.jobs,
    objects: world.objects,
    chunks,
    finalize: world.finalize,
    now: () => atMs,
    stalledAfterSeconds: STALLED_AFTER_S,
    maxRedrives: MAX_REDRIVES,
    newAttemptId: () => `s${++attempts}`,
  };
  return { deps, chunks };
}

/** The time `hours` hours after the tests' now. */
const hoursLater = (hours: number) => NOW_MS + hours * 3_600_000;

describe('sweepStalledJobs', () => {
  it('leaves a job alone while it made progress within stalledAfterSeconds', async () => {
    // Prepare
    const { world } = await stalledJob();
    const { deps, chunks } = sweeper(world, NOW_MS + (STALLED_AFTER_S - 1) * 1000);

    // Act
    const result = await sweepStalledJobs(deps);

    // Assess
    expect(result).toEqual({ redriven: [], abandoned: [], refinalized: [] });
    expect(chunks.sent).toEqual([]);
  });

  it('sends again the chunks not recorded done of a stalled job, once per stall, and the job then completes with every line', async () => {
    // Prepare
    const { world, etag, chunks: plan } = await stalledJob();
    const { deps, chunks } = sweeper(world, hoursLater(1.1));

    // Act
    const first = await sweepStalledJobs(deps);
    const again = await sweepStalledJobs(deps);
    for (const message of chunks.sent) await runChunk(world.worker, message, { deadline: later() });
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    expect(first.redriven).toEqual([JOB_ID]);
    expect(again.redriven).toEqual([]);
    expect(chunks.sent).toEqual([chunkMessage(plan[1]!, etag), chunkMessage(plan[2]!, etag)]);
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job).toMatchObject({ status: 'completed', redrives: 1, requestCounts: { total: 6, completed: 6, failed: 0 } });
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID))).map((line) => line.custom_id)).toEqual([
      'c1',
      'c2',
      'c3',
      'c4',
      'c5',
      'c6',
    ]);
  });

  it('sends again only the chunks not seen progressing within stalledAfterSeconds, not the ones still running', async () => {
    // Prepare: chunk 1 reported progress a minute ago (its worker is on it); chunk 2 never did (its message was lost).
    const { world, etag, chunks: plan } = await stalledJob();
    const at = hoursLater(1.1);
    await world.jobs.recordChunkProgress(JOB_ID, 1, 1, new Date(at - 60_000));
    const { deps, chunks } = sweeper(world, at);

    // Act
    const result = await sweepStalledJobs(deps);

    // Assess
    expect(result.redriven).toEqual([JOB_ID]);
    expect(chunks.sent).toEqual([chunkMessage(plan[2]!, etag)]);
  });

  it('leaves a stalled job alone, no redrive spent, while every chunk it waits for is seen progressing', async () => {
    // Prepare: both unrecorded chunks reported progress within the window; one of them long ago too.
    const { world } = await stalledJob();
    const at = hoursLater(1.1);
    await world.jobs.recordChunkProgress(JOB_ID, 1, 1, new Date(at - 60_000));
    await world.jobs.recordChunkProgress(JOB_ID, 2, 1, new Date(at - (STALLED_AFTER_S - 10) * 1000));
    const { deps, chunks } = sweeper(world, at);

    // Act
    const result = await sweepStalledJobs(deps);
    // Later, chunk 2's progress is older than the window: it is sent again, chunk 1 (seen since) not.
    await world.jobs.recordChunkProgress(JOB_ID, 1, 2, new Date(at + 30_000));
    const { deps: laterDeps, chunks: laterChunks } = sweeper(world, at + 60_000);
    const laterResult = await sweepStalledJobs(laterDeps);

    // Assess
    expect(result).toEqual({ redriven: [], abandoned: [], refinalized: [] });
    expect(chunks.sent).toEqual([]);
    expect(laterResult.redriven).toEqual([JOB_ID]);
    expect(laterChunks.sent.map((message) => message.chunk.index)).toEqual([2]);
    expect((await world.jobs.get(JOB_ID))!.redrives).toBe(1);
  });

  it('redrives a job once when two sweeps run at the same time', async () => {
    // Prepare
    const { world } = await stalledJob();
    const one = sweeper(world, hoursLater(2));
    const two = sweeper(world, hoursLater(2));

    // Act
    const results = await Promise.all([sweepStalledJobs(one.deps), sweepStalledJobs(two.deps)]);

    // Assess
    expect(results.flatMap((result) => result.redriven)).toEqual([JOB_ID]);
    expect(one.chunks.sent.length + two.chunks.sent.length).toBe(2);
    expect((await world.jobs.get(JOB_ID))!.redrives).toBe(1);
  });

  it("after maxRedrives, writes the unfinished chunks' lines as chunk_abandoned errors and finalizes the job, every line in exactly one file", async () => {
    // Prepare: the redriven chunks are lost again each time.
    const { world } = await stalledJob();
    const redrives = [];
    for (let i = 1; i <= MAX_REDRIVES; i++) redrives.push(await sweepStalledJobs(sweeper(world, hoursLater(1.1 * i)).deps));

    // Act
    const last = await sweepStalledJobs(sweeper(world, hoursLater(1.1 * (MAX_REDRIVES + 1))).deps);
    const finalized = await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    expect(redrives.map((result) => result.redriven)).toEqual([[JOB_ID], [JOB_ID]]);
    expect(last.abandoned).toEqual([JOB_ID]);
    expect(world.finalize.sent).toEqual([finalizeMessage]);
    expect(finalized.status).toBe('finalized');
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job).toMatchObject({ status: 'completed', chunksDone: 3, requestCounts: { total: 6, completed: 2, failed: 4 } });
    expect(jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID))).map((line) => line.custom_id)).toEqual(['c1', 'c2']);
    const errors = jsonLines(world.objects.text(BUCKET, jobKeys.errors(JOB_ID)));
    expect(errors.map((line) => [line.custom_id, line.error.code])).toEqual([3, 4, 5, 6].map((n) => [`line-${n}`, CHUNK_ABANDONED]));
  });

  it('a chunk a late worker recorded first is not abandoned: its results count', async () => {
    // Prepare
    const { world, etag, chunks: plan } = await stalledJob();
    for (let i = 1; i <= MAX_REDRIVES; i++) await sweepStalledJobs(sweeper(world, hoursLater(1.1 * i)).deps);
    await runChunk(world.worker, chunkMessage(plan[1]!, etag), { deadline: later() });

    // Act
    await sweepStalledJobs(sweeper(world, hoursLater(1.1 * (MAX_REDRIVES + 1) + 1)).deps);
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    expect((await world.jobs.get(JOB_ID))!.requestCounts).toEqual({ total: 6, completed: 4, failed: 2 });
  });

  it('asks again for the finalize of a stalled job whose chunks are all recorded', async () => {
    // Prepare: every chunk ran, but the finalize message was lost.
    const { world, etag, chunks: plan } = await stalledJob();
    for (const chunk of plan.slice(1)) await runChunk(world.worker, chunkMessage(chunk, etag), { deadline: later() });
    world.finalize.sent.length = 0;

    // Act
    const result = await sweepStalledJobs(sweeper(world, hoursLater(2)).deps);

    // Assess
    expect(result.refinalized).toEqual([JOB_ID]);
    expect(world.finalize.sent).toEqual([finalizeMessage]);
  });
});
