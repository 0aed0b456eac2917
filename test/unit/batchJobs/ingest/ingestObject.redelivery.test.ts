import { createJobForObject, jobIdForObject } from '../../../../shared/batchJobs/ingest/createJobForObject';
import { ingestJob, ingestObject } from '../../../../shared/batchJobs/ingest/ingestObject';
import type { ChunkPlan, Job, JobStatus } from '../../../../shared/batchJobs/job/Job';
import { jobKeys } from '../../../../shared/batchJobs/job/Job';
import type { JobPatch } from '../../../../shared/batchJobs/job/ports';
import { chatLine } from '../lines/batchFixtures';
import { BUCKET, ingestWorld } from './ingestFixtures';

const FILE = `${Array.from({ length: 250 }, (_, i) => (i === 99 ? 'broken' : chatLine(`r${i + 1}`))).join('\n')}\n`;

describe('ingest, delivered again', () => {
  it('finds the same job for the same object and ETag, and a new one for a new upload', async () => {
    // Prepare
    const world = ingestWorld();
    const event = await world.drop('inbox/tenant-1/a.jsonl', FILE);
    // Act
    const first = await createJobForObject(world.deps, event);
    const again = await createJobForObject(world.deps, { ...event, etag: `"${event.etag}"` });
    // Assess
    expect(first.created).toBe(true);
    expect(again).toEqual({ job: first.job, created: false });
    expect(first.job).toMatchObject({
      status: 'validating',
      tenantId: 'tenant-1',
      metadata: { source_key: event.key },
      completionWindow: '24h',
    });
    expect(first.job.id).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(jobIdForObject(BUCKET, event.key, 'other-etag')).not.toBe(first.job.id);
    expect(first.job.expiresAt - first.job.createdAt).toBe(24 * 3600);
  });

  it('redoes the work of a job still validating (a crash before the move), ending with one plan and the same error part', async () => {
    // Prepare: the first run dies on the move, after it stored a plan and wrote the error part.
    const world = ingestWorld({ chunkMaxLines: 100 });
    const event = await world.drop('inbox/tenant-1/a.jsonl', FILE);
    const transition = world.jobs.transition.bind(world.jobs);
    let crashes = 1;
    world.jobs.transition = async (jobId: string, to: JobStatus, patch?: JobPatch, now?: Date) => {
      if (crashes-- > 0) throw new Error('Lambda timed out');
      return transition(jobId, to, patch, now);
    };
    await expect(ingestObject(world.deps, event)).rejects.toThrow('Lambda timed out');
    const jobId = jobIdForObject(BUCKET, event.key, event.etag);
    const partAfterCrash = world.objects.text(BUCKET, jobKeys.ingestErrors(jobId));
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect((await world.jobs.get(jobId))!.status).toBe('in_progress');
    expect(summary).toMatchObject({ action: 'planned', lines: 250, validLines: 249, invalidLines: 1, chunks: 3 });
    expect(world.chunks.sent.map((m) => m.chunk.index)).toEqual([0, 1, 2]);
    expect(world.objects.text(BUCKET, jobKeys.ingestErrors(jobId))).toBe(partAfterCrash);
    expect(world.objects.reads).toBe(2);
  });

  it('only sends the chunk messages again for a job already in_progress (a crash after the move)', async () => {
    // Prepare: the first run dies sending its messages.
    const world = ingestWorld({ chunkMaxLines: 100 });
    const event = await world.drop('inbox/tenant-1/a.jsonl', FILE);
    const send = world.chunks.send.bind(world.chunks);
    let crashes = 1;
    world.chunks.send = async (messages) => {
      if (crashes-- > 0) throw new Error('SQS unavailable');
      return send(messages);
    };
    await expect(ingestObject(world.deps, event)).rejects.toThrow('SQS unavailable');
    const jobId = jobIdForObject(BUCKET, event.key, event.etag);
    const before = await world.jobs.get(jobId);
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ status: 'in_progress', action: 'resent', chunks: 3 });
    expect(world.chunks.sent.map((m) => m.chunk)).toEqual(await world.jobs.chunkPlan(jobId));
    expect(world.chunks.sent[0]!.source).toEqual({ bucket: BUCKET, key: event.key, etag: before!.source.etag, format: 'openai' });
    expect(await world.jobs.get(jobId)).toEqual(before);
    expect(world.objects.reads).toBe(1);
  });

  it.each(['completed', 'failed', 'cancelling', 'cancelled', 'finalizing', 'expired'] as JobStatus[])(
    'does nothing for a job that is %s',
    async (status) => {
      // Prepare
      const world = ingestWorld();
      const event = await world.drop('inbox/tenant-1/a.jsonl', FILE);
      const { job } = await createJobForObject(world.deps, event);
      world.jobs.jobs.set(job.id, { ...job, status });
      // Act
      const summary = await ingestJob(world.deps, job.id);
      // Assess
      expect(summary).toMatchObject({ jobId: job.id, status, action: 'skipped' });
      expect(world.chunks.sent).toEqual([]);
      expect(world.objects.reads).toBe(0);
      expect(world.jobs.jobs.get(job.id)!.status).toBe(status);
    },
  );

  it('stops quietly when the job was cancelled while it was being validated', async () => {
    // Prepare: the cancel lands between the scan and the move.
    const world = ingestWorld();
    const event = await world.drop('inbox/tenant-1/a.jsonl', FILE);
    const save = world.jobs.saveChunkPlan.bind(world.jobs);
    world.jobs.saveChunkPlan = async (jobId: string, chunks: readonly ChunkPlan[]) => {
      await save(jobId, chunks);
      await world.jobs.transition(jobId, 'cancelling');
    };
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ status: 'cancelling', action: 'skipped' });
    expect(world.chunks.sent).toEqual([]);
    expect(world.jobs.jobs.get(summary.jobId)!.status).toBe('cancelling');
  });

  it('stops quietly when a job refused whole was cancelled meanwhile', async () => {
    // Prepare: a cancelled job whose file turns out empty.
    const world = ingestWorld();
    const event = await world.drop('inbox/tenant-1/empty.jsonl', '\n\n');
    const head = world.objects.head.bind(world.objects);
    world.objects.head = async (bucket: string, key: string) => {
      const jobId = jobIdForObject(bucket, key, event.etag);
      await world.jobs.transition(jobId, 'cancelled');
      return head(bucket, key);
    };
    // Act
    const summary = await ingestObject(world.deps, event);
    // Assess
    expect(summary).toMatchObject({ status: 'cancelled', action: 'skipped' });
    expect((world.jobs.jobs.get(summary.jobId) as Job).failure).toBeUndefined();
  });

  it('says so when asked to ingest a job that does not exist', async () => {
    const world = ingestWorld();
    await expect(ingestJob(world.deps, 'batch_missing')).rejects.toThrow('Batch batch_missing does not exist.');
  });
});
