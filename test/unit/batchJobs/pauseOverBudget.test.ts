import type { ChunkMessage } from '../../../shared/batchJobs/job/Job';
import { expireJobs } from '../../../shared/batchJobs/finalize/expireJobs';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { resumePausedJobs } from '../../../shared/batchJobs/finalize/resumePausedJobs';
import { sweepStalledJobs } from '../../../shared/batchJobs/finalize/sweepStalledJobs';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { MemorySender } from '../../helpers/memoryPorts';
import { BUCKET, chatLine, chunkMessage, createJob, JOB_ID, jsonLines, later, makeWorld, NOW_MS, putInput, TENANT } from './jobWorld';
import { jobKeys } from '../../../shared/batchJobs/job/Job';
import { toBatchObject } from '../../../shared/batchJobs/api/openAiObjects';

const SIX_LINES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => chatLine(id, `hello ${id}`));
const finalizeMessage = { kind: 'finalize' as const, tenantId: TENANT, jobId: JOB_ID };

/** The budget as TenantAdmission answers it: `over` says whether the tenant's jobs pause now. */
function budgetSwitch(over: boolean) {
  const asked: string[] = [];
  return {
    over,
    asked,
    async pausesRunningJobs(tenantId: string) {
      asked.push(tenantId);
      return this.over;
    },
  };
}

/** A six-line job in three chunks, with a budget the worker and the sweep consult. */
async function jobWithBudget(over: boolean, expiresAt?: number) {
  const world = makeWorld();
  const budget = budgetSwitch(over);
  const { etag, chunks } = await putInput(world, SIX_LINES, [2, 2, 2]);
  await createJob(world, { chunksTotal: 3, total: 6, etag, ...(expiresAt === undefined ? {} : { expiresAt }) });
  await world.jobs.saveChunkPlan(JOB_ID, chunks);
  const worker = { ...world.worker, budget };
  const queue = new MemorySender<ChunkMessage>();
  const messages = chunks.map((chunk) => chunkMessage(chunk, etag));
  return { world, budget, worker, queue, messages };
}

describe('a job whose tenant goes over its budget with running_jobs: pause', () => {
  it('pauses: its chunks are not run, not recorded and not lost, and the job shows since when', async () => {
    // Prepare
    const { world, budget, worker, messages } = await jobWithBudget(false);
    await runChunk(worker, messages[0]!, { deadline: later() });
    budget.over = true;

    // Act
    const second = await runChunk(worker, messages[1]!, { deadline: later() });
    const third = await runChunk(worker, messages[2]!, { deadline: later() });

    // Assess
    expect([second.status, third.status]).toEqual(['paused', 'paused']);
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job).toMatchObject({ status: 'in_progress', pausedAt: NOW_MS / 1000, chunksDone: 1 });
    expect(toBatchObject(job)).toMatchObject({ status: 'in_progress', paused_at: NOW_MS / 1000 });
    expect([...(await world.jobs.chunkAttempts(JOB_ID)).keys()]).toEqual([0]);
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(2);
  });

  it('stays paused while the tenant is over, resumes once it is back under, and then completes with every line once', async () => {
    // Prepare
    const { world, budget, worker, queue, messages } = await jobWithBudget(true);
    for (const message of messages) await runChunk(worker, message, { deadline: later() });
    const sweep = { jobs: world.jobs, chunks: queue, budget, now: () => NOW_MS + 600_000 };

    // Act
    const whileOver = await resumePausedJobs(sweep);
    budget.over = false;
    const onceUnder = await resumePausedJobs(sweep);
    const again = await resumePausedJobs(sweep);
    const resumedJob = (await world.jobs.get(JOB_ID))!;
    for (const message of queue.sent) await runChunk(worker, message, { deadline: later() });
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    expect(whileOver).toEqual([]);
    expect(onceUnder).toEqual([JOB_ID]);
    expect(again).toEqual([]);
    expect(queue.sent.map((message) => message.chunk.index)).toEqual([0, 1, 2]);
    expect(resumedJob.pausedAt).toBeUndefined();
    expect(resumedJob.progressAt).toBe(NOW_MS / 1000 + 600);
    expect((await world.jobs.get(JOB_ID))!.status).toBe('completed');
    const results = jsonLines(world.objects.text(BUCKET, jobKeys.results(JOB_ID)));
    expect(results.map((line) => line.custom_id).sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  });

  it('keeps a paused chunk paused even when the budget clears before the sweep resumes the job', async () => {
    // Prepare
    const { world, budget, worker, messages } = await jobWithBudget(true);
    await runChunk(worker, messages[0]!, { deadline: later() });
    budget.over = false;

    // Act
    const late = await runChunk(worker, messages[1]!, { deadline: later() });

    // Assess
    expect(late.status).toBe('paused');
    expect((await world.jobs.get(JOB_ID))!.chunksDone).toBe(0);
  });

  it('is cancelled while paused: the sweep resumes it and its chunks drain as batch_cancelled lines', async () => {
    // Prepare
    const { world, worker, queue, budget, messages } = await jobWithBudget(true);
    for (const message of messages) await runChunk(worker, message, { deadline: later() });
    await world.jobs.transition(JOB_ID, 'cancelling', {}, new Date(NOW_MS));

    // Act
    const resumed = await resumePausedJobs({ jobs: world.jobs, chunks: queue, budget, now: () => NOW_MS });
    for (const message of queue.sent) await runChunk(worker, message, { deadline: later() });
    await finalizeJob(world.finalizer, finalizeMessage);

    // Assess
    expect(resumed).toEqual([JOB_ID]);
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job.status).toBe('cancelled');
    expect(job.errorCounts).toEqual({ batch_cancelled: 6 });
    expect(world.providers.get('gpu')!.chatCalls).toHaveLength(0);
  });

  it('expires while paused: the expiry sends its chunks, which drain as batch_expired lines', async () => {
    // Prepare
    const expiresAt = NOW_MS / 1000 + 60;
    const { world, worker, queue, messages } = await jobWithBudget(true, expiresAt);
    for (const message of messages) await runChunk(worker, message, { deadline: later() });
    const afterWindow = NOW_MS + 120_000;

    // Act
    const expiry = await expireJobs({ jobs: world.jobs, chunks: queue, now: () => afterWindow });
    for (const message of queue.sent) await runChunk({ ...worker, now: () => afterWindow }, message, { deadline: later() });
    await finalizeJob({ ...world.finalizer, now: () => afterWindow }, finalizeMessage);

    // Assess
    expect(expiry.expired).toEqual([JOB_ID]);
    expect(queue.sent).toHaveLength(3);
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job.status).toBe('expired');
    expect(job.errorCounts).toEqual({ batch_expired: 6 });
  });

  it('is never set aside unrun when it is cancelled between the budget check and the pause: the chunk is recorded', async () => {
    // Prepare: the tenant is over budget, and the job is cancelled while the worker reads the budget
    const { world, budget, worker, messages } = await jobWithBudget(true);
    const racing = {
      ...worker,
      budget: {
        async pausesRunningJobs(tenantId: string) {
          await world.jobs.transition(JOB_ID, 'cancelling', {}, new Date(NOW_MS));
          return budget.pausesRunningJobs(tenantId);
        },
      },
    };

    // Act
    const result = await runChunk(racing, messages[0]!, { deadline: later() });

    // Assess
    expect(result.status).toBe('done');
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job.pausedAt).toBeUndefined();
    // As any chunk that started before a cancel: recorded with its lines answered, not acknowledged unrun.
    expect(job.chunksDone).toBe(1);
    expect(job.requestCounts.completed + job.requestCounts.failed).toBe(2);
  });

  it('is left alone by the stall sweep however long it waits', async () => {
    // Prepare
    const { world, worker, messages } = await jobWithBudget(true);
    for (const message of messages) await runChunk(worker, message, { deadline: later() });
    const chunks = new MemorySender<ChunkMessage>();

    // Act
    const result = await sweepStalledJobs({
      jobs: world.jobs,
      objects: world.objects,
      chunks,
      finalize: world.finalize,
      now: () => NOW_MS + 10 * 3_600_000,
      stalledAfterSeconds: 3_600,
      maxRedrives: 0,
      newAttemptId: () => 'sweep',
    });

    // Assess
    expect(result).toEqual({ redriven: [], abandoned: [], refinalized: [] });
    expect(chunks.sent).toEqual([]);
    expect((await world.jobs.get(JOB_ID))!.chunksDone).toBe(0);
  });

  it('never pauses without a budget to consult (jobs finish)', async () => {
    // Prepare
    const { world, messages } = await jobWithBudget(true);

    // Act
    const result = await runChunk(world.worker, messages[0]!, { deadline: later() });

    // Assess
    expect(result.status).toBe('done');
    expect((await world.jobs.get(JOB_ID))!.pausedAt).toBeUndefined();
  });
});
