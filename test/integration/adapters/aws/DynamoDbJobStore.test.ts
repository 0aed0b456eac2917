import { DynamoDbFileStore } from '../../../../shared/adapters/aws/DynamoDbFileStore';
import { DynamoDbJobStore } from '../../../../shared/adapters/aws/DynamoDbJobStore';
import type { Job } from '../../../../shared/batchJobs/job/Job';
import { JobStateConflictError } from '../../../../shared/batchJobs/job/errors';
import { startTestTable } from '../../../helpers/localDynamoDb';

function job(id: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    tenantId: 'tenant-a',
    status: 'validating',
    source: { bucket: 'b', key: `inbox/tenant-a/${id}.jsonl` },
    completionWindow: '24h',
    metadata: { team: 'x' },
    requestCounts: { total: 0, completed: 0, failed: 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
    chunksTotal: 0,
    chunksDone: 0,
    createdAt: 1_000,
    expiresAt: 87_400,
    ...overrides,
  };
}

describe('DynamoDbJobStore against a DynamoDB-API server', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: DynamoDbJobStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoDbJobStore(table.documentClient, table.tableName);
  });
  afterAll(() => table.close());

  it('creates a job once and reads it back whole', async () => {
    expect(await store.create(job('batch_1'))).toBe(true);
    expect(await store.create(job('batch_1', { tenantId: 'other' }))).toBe(false);
    expect(await store.get('batch_1')).toEqual(job('batch_1'));
    expect(await store.get('batch_none')).toBeUndefined();
  });

  it('moves a job only along the state machine, setting the timestamp and patch in the same write', async () => {
    // Prepare
    await store.create(job('batch_2'));
    // Act
    const moved = await store.transition(
      'batch_2',
      'in_progress',
      { chunksTotal: 3, requestCounts: { total: 30, completed: 0, failed: 2 } },
      new Date(5_000_000),
    );
    // Assess
    expect(moved).toMatchObject({
      status: 'in_progress',
      inProgressAt: 5_000,
      chunksTotal: 3,
      requestCounts: { total: 30, completed: 0, failed: 2 },
    });
    await expect(store.transition('batch_2', 'completed')).rejects.toBeInstanceOf(JobStateConflictError);
    await expect(store.transition('batch_2', 'completed')).rejects.toThrow('while it is in_progress');
    await expect(store.transition('batch_missing', 'in_progress')).rejects.toBeInstanceOf(JobStateConflictError);
  });

  it('records each chunk once, adding its counts; a redelivery changes nothing', async () => {
    // Prepare
    await store.create(job('batch_3'));
    await store.transition('batch_3', 'in_progress', { chunksTotal: 2, requestCounts: { total: 20, completed: 0, failed: 1 } });
    const counts = { completed: 9, failed: 1, promptTokens: 100, completionTokens: 50 };
    // Act
    const first = await store.recordChunkDone('batch_3', 0, 'attempt-a', counts);
    const again = await store.recordChunkDone('batch_3', 0, 'attempt-b', counts);
    const second = await store.recordChunkDone('batch_3', 1, 'attempt-c', { ...counts, completed: 8, failed: 1 });
    // Assess
    expect(first.applied).toBe(true);
    expect(again.applied).toBe(false);
    expect(second.applied).toBe(true);
    expect(second.job).toMatchObject({
      chunksDone: 2,
      requestCounts: { total: 20, completed: 17, failed: 3 },
      usage: { promptTokens: 200, completionTokens: 100 },
    });
    expect(await store.chunkAttempts('batch_3')).toEqual(
      new Map([
        [0, 'attempt-a'],
        [1, 'attempt-c'],
      ]),
    );
  });

  it('keeps failed lines by error code: ingest sets its refusals, each chunk adds its own once, codes kept apart', async () => {
    // Prepare: a job created before counts by code were kept has none; the first ADD creates each counter.
    await store.create(job('batch_codes'));
    await store.transition('batch_codes', 'in_progress', {
      chunksTotal: 3,
      requestCounts: { total: 30, completed: 0, failed: 2 },
      errorCounts: { invalid_json: 2 },
    });
    const counts = { completed: 7, failed: 3, promptTokens: 1, completionTokens: 1 };
    // Act
    await store.recordChunkDone('batch_codes', 0, 'a', { ...counts, errorCodes: { backend_timeout: 2, invalid_json: 1 } });
    await store.recordChunkDone('batch_codes', 0, 'b', { ...counts, errorCodes: { backend_timeout: 2, invalid_json: 1 } });
    await store.recordChunkDone('batch_codes', 1, 'c', { ...counts, failed: 0, errorCodes: {} });
    const last = await store.recordChunkDone('batch_codes', 2, 'd', { ...counts, failed: 1, errorCodes: { 'odd.code#1': 1 } });
    // Assess
    expect(last.job.errorCounts).toEqual({ invalid_json: 3, backend_timeout: 2, 'odd.code#1': 1 });
    expect(last.job.requestCounts.failed).toBe(2 + 3 + 0 + 1);
    expect(await store.get('batch_codes')).toMatchObject({ errorCounts: { invalid_json: 3, backend_timeout: 2, 'odd.code#1': 1 } });
    expect(Object.keys((await store.get('batch_codes'))!).filter((key) => key.startsWith('errorCount#'))).toEqual([]);
    // A job with no failed line has no counts at all.
    await store.create(job('batch_clean'));
    expect((await store.get('batch_clean'))!.errorCounts).toBeUndefined();
  });

  it('refuses to record a chunk of a job that is not running', async () => {
    await store.create(job('batch_4'));
    const result = await store.recordChunkDone('batch_4', 0, 'a', { completed: 1, failed: 0, promptTokens: 1, completionTokens: 1 });
    expect(result.applied).toBe(false);
    expect(result.job.chunksDone).toBe(0);
  });

  it('stores and returns a chunk plan in index order', async () => {
    const plan = Array.from({ length: 30 }, (_, i) => ({
      index: i,
      startByte: i * 100,
      endByte: i * 100 + 99,
      firstLine: i * 10 + 1,
      lineCount: 10,
      skipLines: i === 3 ? [33, 35] : [],
    }));
    await store.saveChunkPlan('batch_5', [...plan].reverse());
    expect(await store.chunkPlan('batch_5')).toEqual(plan);
  });

  it("lists a tenant's jobs newest first with a cursor, never another tenant's", async () => {
    for (let i = 0; i < 5; i++) await store.create(job(`batch_list_${i}`, { tenantId: 'lister', createdAt: 2_000 + i }));
    await store.create(job('batch_other', { tenantId: 'someone-else', createdAt: 9_999 }));
    const first = await store.list('lister', { limit: 2 });
    const second = await store.list('lister', { limit: 2, after: first.jobs[1]!.id });
    const third = await store.list('lister', { limit: 2, after: second.jobs[1]!.id });
    expect([first, second, third].map((p) => p.jobs.map((j) => j.id))).toEqual([
      ['batch_list_4', 'batch_list_3'],
      ['batch_list_2', 'batch_list_1'],
      ['batch_list_0'],
    ]);
    expect([first.hasMore, second.hasMore, third.hasMore]).toEqual([true, true, false]);
  });

  it('treats an undefined patch field as not set', async () => {
    await store.create(job('batch_undef'));
    const moved = await store.transition('batch_undef', 'failed', { failure: { code: 'x', message: 'y' }, errorFileId: undefined });
    expect(moved).toMatchObject({ status: 'failed', failure: { code: 'x', message: 'y' } });
    expect(moved.errorFileId).toBeUndefined();
    await store.create(job('batch_undef2'));
    await store.transition('batch_undef2', 'expired');
    expect(await store.setOutputs('batch_undef2', { outputFileId: 'file-out', errorFileId: undefined })).toMatchObject({
      status: 'expired',
      outputFileId: 'file-out',
    });
  });

  it("records a failure cause only with a chunk's winning record, keeps the first cause, and never on a job not running", async () => {
    // Prepare
    await store.create(job('batch_lost', { status: 'in_progress', chunksTotal: 3 }));
    await store.create(job('batch_waiting'));
    const counts = { completed: 0, failed: 2, promptTokens: 0, completionTokens: 0 };
    const changed = { code: 'file_changed', message: 'replaced' };
    const deleted = { code: 'file_not_found', message: 'deleted' };

    // Act
    const won = await store.recordChunkDone('batch_lost', 0, 'x', { ...counts, completed: 2, failed: 0 });
    const lost = await store.recordChunkDone('batch_lost', 0, 'y', counts, new Date(), changed);
    const afterLosing = await store.get('batch_lost');
    const first = await store.recordChunkDone('batch_lost', 1, 'z', counts, new Date(), changed);
    const second = await store.recordChunkDone('batch_lost', 2, 'w', counts, new Date(), deleted);
    const notRunning = await store.recordChunkDone('batch_waiting', 0, 'v', counts, new Date(), changed);

    // Assess
    expect([won.applied, lost.applied, first.applied, second.applied, notRunning.applied]).toEqual([true, false, true, true, false]);
    expect(afterLosing!.failure).toBeUndefined();
    expect(await store.get('batch_lost')).toMatchObject({
      status: 'in_progress',
      chunksDone: 3,
      requestCounts: { completed: 2, failed: 4 },
      failure: changed,
    });
    expect((await store.get('batch_waiting'))!.failure).toBeUndefined();
  });

  it('lists active jobs, and counts a redrive once per value seen, setting progressAt', async () => {
    // Prepare
    await store.create(job('batch_stalled', { status: 'in_progress', expiresAt: 5 }));
    await store.create(job('batch_done', { status: 'completed', expiresAt: 6 }));

    // Act
    const active = (await store.listActive(1_000)).map((j) => j.id);
    const first = await store.recordRedrive('batch_stalled', 0, new Date(9_000_000));
    const stale = await store.recordRedrive('batch_stalled', 0, new Date(9_000_000));
    const second = await store.recordRedrive('batch_stalled', 1, new Date(9_500_000));
    await store.recordChunkDone(
      'batch_stalled',
      0,
      'a1',
      { completed: 1, failed: 0, promptTokens: 0, completionTokens: 0 },
      new Date(9_900_000),
    );

    // Assess
    expect(active).toContain('batch_stalled');
    expect(active).not.toContain('batch_done');
    expect([first, stale, second]).toEqual([true, false, true]);
    expect(await store.get('batch_stalled')).toMatchObject({ redrives: 2, progressAt: 9_900 });
  });

  it('pauses an in_progress job once, resumes it once (setting progressAt), and never pauses one that is not running', async () => {
    // Prepare
    await store.create(job('batch_paused', { status: 'in_progress' }));
    await store.create(job('batch_cancelling', { status: 'cancelling' }));

    // Act
    const first = await store.pause('batch_paused', new Date(2_000_000));
    const second = await store.pause('batch_paused', new Date(3_000_000));
    const paused = await store.get('batch_paused');
    const listed = (await store.listActive(1_000)).find((j) => j.id === 'batch_paused');
    const notRunning = await store.pause('batch_cancelling', new Date(2_000_000));
    const resumed = await store.resume('batch_paused', new Date(4_000_000));
    const resumedAgain = await store.resume('batch_paused', new Date(5_000_000));

    // Assess
    expect([first, second, notRunning, resumed, resumedAgain]).toEqual([true, false, false, true, false]);
    expect(paused!.pausedAt).toBe(2_000);
    expect(listed!.pausedAt).toBe(2_000);
    const after = await store.get('batch_paused');
    expect(after!.pausedAt).toBeUndefined();
    expect(after!.progressAt).toBe(4_000);
    expect((await store.get('batch_cancelling'))!.pausedAt).toBeUndefined();
  });

  it('finds jobs past their window, and forgets them once terminal', async () => {
    await store.create(job('batch_old', { expiresAt: 100 }));
    await store.create(job('batch_young', { expiresAt: 10_000_000_000 }));
    expect((await store.listExpired(1_000, 50)).map((j) => j.id)).toContain('batch_old');
    await store.transition('batch_old', 'expired');
    const ids = (await store.listExpired(1_000, 50)).map((j) => j.id);
    expect(ids).not.toContain('batch_old');
    expect(ids).not.toContain('batch_young');
  });
  it("keeps each running chunk's advisory progress until the chunk is recorded, and ignores it after", async () => {
    // Prepare
    await store.create(job('batch_progress'));
    await store.transition('batch_progress', 'in_progress', { chunksTotal: 3, requestCounts: { total: 1_500, completed: 0, failed: 0 } });
    const counts = { completed: 500, failed: 0, promptTokens: 0, completionTokens: 0 };
    // Act
    await store.recordChunkProgress('batch_progress', 0, 120, new Date(1_000_000));
    await store.recordChunkProgress('batch_progress', 1, 80, new Date(2_000_000));
    const running = await store.get('batch_progress');
    const { job: afterDone } = await store.recordChunkDone('batch_progress', 0, 'attempt-a', counts);
    await store.recordChunkProgress('batch_progress', 0, 499);
    const after = await store.get('batch_progress');
    // Assess
    expect(running?.inFlightLines).toBe(200);
    expect(afterDone.inFlightLines).toBe(80);
    expect(after?.inFlightLines).toBe(80);
    expect(after?.requestCounts.completed).toBe(500);
    expect(Object.keys(after ?? {}).some((name) => name.startsWith('chunkProgress_'))).toBe(false);
    // When each running chunk was last seen progressing (unix seconds), for the stall sweep; gone once recorded.
    expect(running?.chunkProgressAt).toEqual({ 0: 1_000, 1: 2_000 });
    expect(after?.chunkProgressAt).toEqual({ 1: 2_000 });
  });

  describe('DynamoDbFileStore against a DynamoDB-API server', () => {
    let table: Awaited<ReturnType<typeof startTestTable>>;
    let store: DynamoDbFileStore;
    beforeAll(async () => {
      table = await startTestTable();
      store = new DynamoDbFileStore(table.documentClient, table.tableName);
    });
    afterAll(() => table.close());

    const file = (id: string, createdAt: number, purpose: 'batch' | 'batch_output' = 'batch', tenantId = 't') => ({
      id,
      tenantId,
      purpose,
      filename: `${id}.jsonl`,
      bytes: 10,
      createdAt,
      bucket: 'b',
      key: `files/${tenantId}/${id}`,
    });

    it('puts, gets and lists files newest first, filtered by purpose across pages', async () => {
      for (let i = 0; i < 6; i++) await store.put(file(`file-${i}`, 100 + i, i % 2 === 0 ? 'batch' : 'batch_output'));
      await store.put(file('file-x', 500, 'batch', 'other'));
      expect(await store.get('file-3')).toEqual(file('file-3', 103, 'batch_output'));
      const page = await store.list('t', { limit: 2, purpose: 'batch' });
      expect(page.files.map((f) => f.id)).toEqual(['file-4', 'file-2']);
      expect(page.hasMore).toBe(true);
      const rest = await store.list('t', { limit: 2, purpose: 'batch', after: 'file-2' });
      expect(rest).toEqual({ files: [file('file-0', 100)], hasMore: false });
    });
  });
});
