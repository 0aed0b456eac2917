import type { Job } from '../../../shared/batchJobs/job/Job';
import { measurePoolBacklog, waitingLines, type PoolBacklog } from '../../../shared/batchJobs/run/poolBacklog';
import { MemoryJobStore } from '../../helpers/memoryPorts';
import { BUCKET, NOW_MS, TENANT } from './jobWorld';

const NOW_S = NOW_MS / 1000;

function job(id: string, fields: Partial<Job> & Pick<Job, 'requestCounts'>): Job {
  return {
    id,
    tenantId: TENANT,
    status: 'in_progress',
    source: { bucket: BUCKET, key: `inbox/${id}.jsonl` },
    completionWindow: '24h',
    metadata: {},
    usage: { promptTokens: 0, completionTokens: 0 },
    chunksTotal: 1,
    chunksDone: 0,
    createdAt: NOW_S - 60,
    expiresAt: NOW_S + 86_400,
    ...fields,
  };
}

describe('waitingLines', () => {
  it("shares a job's lines not yet recorded among its models, by their on-demand lines", () => {
    // Prepare: 1000 lines, 100 done, 50 refused; 600 of model a, 250 of model b run on demand
    const mixed = job('mixed', {
      requestCounts: { total: 1000, completed: 100, failed: 50 },
      onDemandLines: { a: 600, b: 250 },
    });
    // Act & Assess: 850 left, split 600:250
    expect(waitingLines(mixed)).toEqual({ a: 600, b: 250 });
  });

  it('never counts more than the lines that run on demand: Bedrock batch inference lines do not wait for a GPU', () => {
    // Prepare: 1000 lines left, 200 of them on demand
    const routed = job('routed', { requestCounts: { total: 1000, completed: 0, failed: 0 }, onDemandLines: { a: 200 } });
    // Act & Assess
    expect(waitingLines(routed)).toEqual({ a: 200 });
  });

  it('counts a job without the split for its one model, and nothing for a job that is not running its lines', () => {
    // Act & Assess
    expect(waitingLines(job('old', { model: 'a', requestCounts: { total: 10, completed: 4, failed: 0 } }))).toEqual({ a: 6 });
    expect(waitingLines(job('mixedOld', { requestCounts: { total: 10, completed: 0, failed: 0 } }))).toEqual({});
    expect(waitingLines(job('paused', { model: 'a', pausedAt: NOW_S, requestCounts: { total: 10, completed: 0, failed: 0 } }))).toEqual({});
    for (const status of ['validating', 'cancelling', 'expired', 'finalizing'] as const) {
      expect(waitingLines(job(status, { status, model: 'a', requestCounts: { total: 10, completed: 0, failed: 0 } }))).toEqual({});
    }
  });
});

describe('measurePoolBacklog', () => {
  it("adds up every active job's waiting lines per pool and publishes them once, 0 for an idle pool", async () => {
    // Prepare: two jobs on model a (the old metric would have read the larger one), one mixed
    const jobs = new MemoryJobStore();
    await jobs.create(job('j1', { model: 'a', onDemandLines: { a: 300 }, requestCounts: { total: 300, completed: 0, failed: 0 } }));
    await jobs.create(job('j2', { model: 'a', onDemandLines: { a: 100 }, requestCounts: { total: 100, completed: 0, failed: 0 } }));
    await jobs.create(job('j3', { onDemandLines: { a: 50, b: 50 }, requestCounts: { total: 100, completed: 0, failed: 0 } }));
    await jobs.create(job('j4', { status: 'completed', model: 'a', requestCounts: { total: 100, completed: 0, failed: 0 } }));
    const published: PoolBacklog[] = [];

    // Act
    const backlog = await measurePoolBacklog({ jobs, pools: ['a', 'b', 'idle'], publish: (value) => published.push(value) });

    // Assess
    expect(backlog).toEqual({ a: 450, b: 50, idle: 0 });
    expect(published).toEqual([backlog]);
  });
});
