import { jobKeys } from '../../../shared/batchJobs/job/Job';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { BUCKET, chatLine, chunkMessage, createJob, JOB_ID, later, makeWorld, putInput, TENANT } from './jobWorld';

/**
 * A queue message names its tenant as well as its job: the worker and finalize act only
 * when both match, so a message naming another tenant's job (a forged or misrouted one)
 * reads, writes and counts nothing of it.
 */
describe('tenant isolation in the batch pipeline', () => {
  it('runs no chunk of a job for a message naming another tenant: no backend call, no part, no count', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'one'), chatLine('c2', 'two')]);
    await createJob(world, { chunksTotal: 1, total: 2, etag });
    const readsBefore = world.objects.reads;
    // Act
    const result = await runChunk(world.worker, { ...chunkMessage(chunks[0]!, etag), tenantId: 'tenant-2' }, { deadline: later() });
    // Assess
    expect(result).toEqual({ status: 'skipped' });
    expect(world.objects.reads).toBe(readsBefore);
    expect([...world.providers.values()].flatMap((provider) => provider.chatCalls)).toEqual([]);
    expect([...world.objects.objects.keys()].filter((key) => key.startsWith(`${BUCKET}/jobs/`))).toEqual([]);
    expect(await world.jobs.get(JOB_ID)).toMatchObject({ tenantId: TENANT, chunksDone: 0, requestCounts: { completed: 0, failed: 0 } });
    expect(world.finalize.sent).toEqual([]);
  });

  it('finalizes nothing for a message naming another tenant, then finalizes for the owner', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'one')]);
    await createJob(world, { chunksTotal: 1, total: 1, etag });
    await runChunk(world.worker, chunkMessage(chunks[0]!, etag), { deadline: later() });
    // Act
    const forged = await finalizeJob(world.finalizer, { kind: 'finalize', tenantId: 'tenant-2', jobId: JOB_ID });
    const outputsAfterForged = world.objects.text(BUCKET, jobKeys.results(JOB_ID));
    const owned = await finalizeJob(world.finalizer, { kind: 'finalize', tenantId: TENANT, jobId: JOB_ID });
    // Assess
    expect(forged).toEqual({ status: 'missing' });
    expect(outputsAfterForged).toBeUndefined();
    expect(world.events.events).toHaveLength(1);
    expect(owned.status).toBe('finalized');
    expect(world.files.files.size).toBe(1);
    expect([...world.files.files.values()].every((file) => file.tenantId === TENANT)).toBe(true);
  });
});
