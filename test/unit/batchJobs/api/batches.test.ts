import { IngestJobMessage } from '../../../../shared/batchJobs/api/IngestJobMessage';
import type { JobStatus } from '../../../../shared/batchJobs/job/Job';
import { loadEvent } from '../../../helpers/events';
import {
  BUCKET,
  createBatch,
  forceStatus,
  httpEvent,
  invoke,
  setup,
  START_MS,
  TENANT_A,
  TENANT_B,
  uploadFile,
  type Platform,
} from './fixtures';

const CREATED_AT = START_MS / 1000;

describe('POST /v1/batches', () => {
  it('creates a validating job over the file, sends one ingest message and answers the Batch object', async () => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    const event = loadEvent('http/batchesCreate.json');
    event.body = JSON.stringify({ ...JSON.parse(event.body), input_file_id: file.id });
    event.requestContext.authorizer.tenantId = TENANT_A;
    // Act
    const answer = await invoke(platform.batches, event);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^batch_[0-9a-f]{24}$/),
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: file.id,
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: CREATED_AT,
      in_progress_at: null,
      expires_at: CREATED_AT + 86_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      error_counts: {},
      usage: {
        input_tokens: 0,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 0,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 0,
      },
      metadata: { project: 'nightly-eval' },
      progress: { processed: 0, total: 0 },
      cost: { currency: 'usd', total: 0, by_route: {} },
    });
    expect(platform.jobs.jobs.get(answer.body.id)).toMatchObject({
      tenantId: TENANT_A,
      status: 'validating',
      inputFileId: file.id,
      source: { bucket: BUCKET, key: `files/${TENANT_A}/${file.id}` },
      chunksTotal: 0,
      chunksDone: 0,
      expiresAt: CREATED_AT + 86_400,
    });
    expect(platform.ingest.sent).toEqual([{ kind: 'ingest', tenantId: TENANT_A, jobId: answer.body.id }]);
    expect(IngestJobMessage.parse(platform.ingest.sent[0])).toEqual(platform.ingest.sent[0]);
  });

  it('sends one ingest message per batch, each naming its own job', async () => {
    // Prepare
    const platform = setup();
    // Act
    const first = await createBatch(platform);
    const second = await createBatch(platform, TENANT_B, { endpoint: '/v1/embeddings' });
    // Assess
    expect(platform.ingest.sent).toEqual([
      { kind: 'ingest', tenantId: TENANT_A, jobId: first.id },
      { kind: 'ingest', tenantId: TENANT_B, jobId: second.id },
    ]);
    expect(second.endpoint).toBe('/v1/embeddings');
  });

  const valid = { endpoint: '/v1/chat/completions', completion_window: '24h' };
  it.each([
    ['no input_file_id', { ...valid }, 'input_file_id', 'missing_required_parameter'],
    ['no endpoint', { completion_window: '24h' }, 'endpoint', 'missing_required_parameter'],
    ['endpoint /v1/completions', { ...valid, endpoint: '/v1/completions' }, 'endpoint', 'invalid_value'],
    ['completion_window 48h', { ...valid, completion_window: '48h' }, 'completion_window', 'invalid_value'],
    [
      '17 metadata pairs',
      { ...valid, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
      'invalid_value',
    ],
    ['a 65-character metadata key', { ...valid, metadata: { ['k'.repeat(65)]: 'v' } }, `metadata.${'k'.repeat(65)}`, 'invalid_value'],
    ['a 513-character metadata value', { ...valid, metadata: { note: 'v'.repeat(513) } }, 'metadata.note', 'invalid_value'],
    ['a metadata value that is not a string', { ...valid, metadata: { count: 3 } }, 'metadata.count', 'invalid_value'],
    ['an unknown field', { ...valid, model: 'gpt-oss-20b' }, 'model', 'unknown_parameter'],
  ])('refuses %s with a 400 naming the field, creating nothing', async (_name, body, param, code) => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    const withFile = param === 'input_file_id' ? body : { input_file_id: file.id, ...body };
    // Act
    const answer = await invoke(platform.batches, httpEvent('batchesCreate', { body: withFile }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { message: expect.stringContaining(param), type: 'invalid_request_error', param, code } });
    expect(platform.jobs.jobs.size).toBe(0);
    expect(platform.ingest.sent).toHaveLength(0);
  });

  it('accepts 16 metadata pairs at the limits, null metadata and output_expires_after', async () => {
    // Prepare
    const platform = setup();
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(512)]));
    // Act
    const full = await createBatch(platform, TENANT_A, { metadata });
    const none = await createBatch(platform, TENANT_A, { metadata: null, output_expires_after: { anchor: 'created_at', seconds: 3600 } });
    // Assess
    expect(full.metadata).toEqual(metadata);
    expect(none.metadata).toBeNull();
    expect(platform.jobs.jobs.get(none.id)!.outputExpiresAfterSeconds).toBe(3600);
    expect(platform.jobs.jobs.get(full.id)!.outputExpiresAfterSeconds).toBeUndefined();
  });

  it("answers 404 for an unknown file or another tenant's, and 400 for an output file, naming input_file_id", async () => {
    // Prepare
    const platform = setup();
    const fileOfB = await uploadFile(platform, TENANT_B);
    await platform.fileStore.put({
      id: 'file-results1',
      tenantId: TENANT_A,
      purpose: 'batch_output',
      filename: 'r.jsonl',
      bytes: 1,
      createdAt: 1,
      bucket: BUCKET,
      key: 'outputs/batch_1/results.jsonl',
    });
    const create = (input_file_id: string) =>
      invoke(
        platform.batches,
        httpEvent('batchesCreate', { body: { input_file_id, endpoint: '/v1/chat/completions', completion_window: '24h' } }),
      );
    // Act
    const answers = [
      await create('file-000000000000000000000000'),
      await create(fileOfB.id),
      await create('not-a-file-id'),
      await create('file-results1'),
    ];
    // Assess
    expect(answers.map((a) => [a.status, a.body.error.param, a.body.error.code])).toEqual([
      [404, 'input_file_id', 'file_not_found'],
      [404, 'input_file_id', 'file_not_found'],
      [404, 'input_file_id', 'file_not_found'],
      [400, 'input_file_id', 'invalid_file_purpose'],
    ]);
    expect(answers[0]!.body.error.message).toBe('No such File object: file-000000000000000000000000');
    expect(platform.ingest.sent).toHaveLength(0);
  });

  it('fails the job and answers 500 if the ingest message cannot be sent', async () => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    platform.ingest.send = async () => {
      throw new Error('SQS is down');
    };
    // Act
    const answer = await invoke(
      platform.batches,
      httpEvent('batchesCreate', { body: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' } }),
    );
    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body.error.message).not.toContain('SQS');
    const [job] = [...platform.jobs.jobs.values()];
    expect(job).toMatchObject({ status: 'failed', failure: { code: 'enqueue_failed' } });
  });

  it('refuses a body that is not JSON with the shared errors', async () => {
    // Prepare
    const platform = setup();
    // Act
    const malformed = await invoke(platform.batches, httpEvent('batchesCreate', { body: '{"input_file_id":' }));
    const text = await invoke(platform.batches, httpEvent('batchesCreate', { headers: { 'content-type': 'text/plain' } }));
    // Assess
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'invalid_json']);
    expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type']);
  });
});

describe('GET /v1/batches and /v1/batches/{batchId}', () => {
  async function createFive(platform: Platform): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await createBatch(platform)).id);
      platform.clock.ms += 1_000;
    }
    return ids;
  }

  it('pages through the batches newest first with after and limit', async () => {
    // Prepare
    const platform = setup();
    const newestFirst = (await createFive(platform)).reverse();
    // Act
    const first = await invoke(platform.batches, httpEvent('batchesList', { query: { limit: '2' } }));
    const second = await invoke(platform.batches, httpEvent('batchesList', { query: { limit: '2', after: first.body.last_id } }));
    const third = await invoke(platform.batches, httpEvent('batchesList', { query: { limit: '2', after: second.body.last_id } }));
    // Assess
    expect(first.body).toMatchObject({ object: 'list', first_id: newestFirst[0], last_id: newestFirst[1], has_more: true });
    expect(first.body.data.map((b: any) => b.object)).toEqual(['batch', 'batch']);
    expect(second.body).toMatchObject({ first_id: newestFirst[2], last_id: newestFirst[3], has_more: true });
    expect(third.body).toMatchObject({ first_id: newestFirst[4], last_id: newestFirst[4], has_more: false });
    expect([...first.body.data, ...second.body.data, ...third.body.data].map((b: any) => b.id)).toEqual(newestFirst);
  });

  it('lists 20 by default and at most 100', async () => {
    // Prepare
    const platform = setup();
    for (let i = 0; i < 21; i += 1) await createBatch(platform);
    // Act
    const page = await invoke(platform.batches, httpEvent('batchesList', { query: {} }));
    const tooMany = await invoke(platform.batches, httpEvent('batchesList', { query: { limit: '101' } }));
    // Assess
    expect(page.body.data).toHaveLength(20);
    expect(page.body.has_more).toBe(true);
    expect(tooMany).toMatchObject({ status: 400, body: { error: { param: 'limit', code: 'invalid_value' } } });
  });

  it('retrieves a batch as it moves, and 404s an unknown or malformed id', async () => {
    // Prepare
    const platform = setup();
    const batch = await createBatch(platform);
    await platform.jobs.transition(batch.id, 'in_progress', { chunksTotal: 2 }, new Date(START_MS + 5_000));
    await platform.jobs.recordChunkDone(batch.id, 0, 'a1', {
      completed: 3,
      failed: 1,
      promptTokens: 30,
      completionTokens: 12,
      errorCodes: { backend_timeout: 1 },
    });
    // Act
    const found = await invoke(platform.batches, httpEvent('batchesRetrieve', { path: { batchId: batch.id } }));
    const unknown = await invoke(platform.batches, httpEvent('batchesRetrieve', { path: { batchId: 'batch_000000000000000000000000' } }));
    const malformed = await invoke(platform.batches, httpEvent('batchesRetrieve', { path: { batchId: 'file-000000000000000000000000' } }));
    // Assess
    expect(found.body).toMatchObject({
      status: 'in_progress',
      in_progress_at: CREATED_AT + 5,
      request_counts: { total: 0, completed: 3, failed: 1 },
      error_counts: { backend_timeout: 1 },
      usage: { input_tokens: 30, output_tokens: 12, total_tokens: 42 },
    });
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: { code: 'batch_not_found', message: "No batch found with id 'batch_000000000000000000000000'." } },
    });
    expect(malformed.status).toBe(404);
  });

  it('shows a dropped-file job with its object key in metadata.source_key, and a failed job with its reason', async () => {
    // Prepare
    const platform = setup();
    await platform.jobs.create({
      id: 'batch_dropped1',
      tenantId: TENANT_A,
      status: 'failed',
      source: { bucket: BUCKET, key: `inbox/${TENANT_A}/nightly.jsonl` },
      completionWindow: '24h',
      metadata: {},
      requestCounts: { total: 0, completed: 0, failed: 0 },
      usage: { promptTokens: 0, completionTokens: 0 },
      chunksTotal: 0,
      chunksDone: 0,
      failure: { code: 'empty_file', message: 'The file has no lines.' },
      createdAt: CREATED_AT,
      expiresAt: CREATED_AT + 86_400,
      failedAt: CREATED_AT + 1,
    });
    // Act
    const answer = await invoke(platform.batches, httpEvent('batchesRetrieve', { path: { batchId: 'batch_dropped1' } }));
    // Assess
    expect(answer.body).toMatchObject({
      input_file_id: null,
      endpoint: '/v1/batch',
      status: 'failed',
      failed_at: CREATED_AT + 1,
      metadata: { source_key: `inbox/${TENANT_A}/nightly.jsonl` },
      errors: { object: 'list', data: [{ code: 'empty_file', message: 'The file has no lines.', line: null, param: null }] },
    });
  });
});

describe('POST /v1/batches/{batchId}/cancel', () => {
  const cancel = (platform: Platform, batchId: string, tenant = TENANT_A) =>
    invoke(platform.batches, httpEvent('batchesCancel', { tenant, path: { batchId } }));

  it.each(['validating', 'in_progress'] as JobStatus[])('moves a %s batch to cancelling', async (status) => {
    // Prepare
    const platform = setup();
    const batch = await createBatch(platform);
    forceStatus(platform, batch.id, status);
    platform.clock.ms += 7_000;
    // Act
    const answer = await cancel(platform, batch.id);
    // Assess
    expect(answer).toMatchObject({ status: 200, body: { id: batch.id, status: 'cancelling', cancelling_at: CREATED_AT + 7 } });
    expect(platform.jobs.jobs.get(batch.id)!.status).toBe('cancelling');
  });

  it('answers a batch already cancelling or cancelled as it is', async () => {
    // Prepare
    const platform = setup();
    const batch = await createBatch(platform);
    await cancel(platform, batch.id);
    platform.clock.ms += 60_000;
    // Act
    const again = await cancel(platform, batch.id);
    await platform.jobs.transition(batch.id, 'cancelled', {}, new Date(START_MS + 90_000));
    const afterEnd = await cancel(platform, batch.id);
    // Assess
    expect(again.body).toMatchObject({ status: 'cancelling', cancelling_at: CREATED_AT });
    expect(afterEnd.body).toMatchObject({ status: 'cancelled', cancelling_at: CREATED_AT, cancelled_at: CREATED_AT + 90 });
  });

  it.each(['completed', 'failed', 'expired', 'finalizing'] as JobStatus[])(
    'refuses to cancel a %s batch with 409 invalid_state',
    async (status) => {
      // Prepare
      const platform = setup();
      const batch = await createBatch(platform);
      forceStatus(platform, batch.id, status);
      // Act
      const answer = await cancel(platform, batch.id);
      // Assess
      expect(answer.status).toBe(409);
      expect(answer.body).toEqual({
        error: { message: expect.stringContaining(status), type: 'invalid_request_error', param: null, code: 'invalid_state' },
      });
      expect(platform.jobs.jobs.get(batch.id)!.status).toBe(status);
    },
  );

  it('answers as it is when another cancel won the race, and 409 when the job ended meanwhile', async () => {
    // Prepare
    const platform = setup();
    const raced = await createBatch(platform);
    const ended = await createBatch(platform);
    const transition = platform.jobs.transition.bind(platform.jobs);
    platform.jobs.transition = async (jobId, to, patch, now) => {
      // The other writer gets there between our read and our conditional write.
      await transition(jobId, jobId === raced.id ? 'cancelling' : 'failed', {}, now);
      return transition(jobId, to, patch, now);
    };
    // Act
    const racedAnswer = await cancel(platform, raced.id);
    const endedAnswer = await cancel(platform, ended.id);
    // Assess
    expect(racedAnswer.body).toMatchObject({ id: raced.id, status: 'cancelling' });
    expect(endedAnswer).toMatchObject({ status: 409, body: { error: { code: 'invalid_state' } } });
  });
});

describe('tenant isolation of batches', () => {
  it("answers tenant B 404 on tenant A's batch and cancel, and lists only B's own", async () => {
    // Prepare
    const platform = setup();
    const batchOfA = await createBatch(platform, TENANT_A);
    const batchOfB = await createBatch(platform, TENANT_B);
    // Act
    const retrieve = await invoke(platform.batches, httpEvent('batchesRetrieve', { tenant: TENANT_B, path: { batchId: batchOfA.id } }));
    const cancel = await invoke(platform.batches, httpEvent('batchesCancel', { tenant: TENANT_B, path: { batchId: batchOfA.id } }));
    const list = await invoke(platform.batches, httpEvent('batchesList', { tenant: TENANT_B, query: {} }));
    const pageAfterA = await invoke(platform.batches, httpEvent('batchesList', { tenant: TENANT_B, query: { after: batchOfA.id } }));
    // Assess
    expect(retrieve).toMatchObject({ status: 404, body: { error: { code: 'batch_not_found' } } });
    expect(cancel).toMatchObject({ status: 404, body: { error: { code: 'batch_not_found' } } });
    expect(platform.jobs.jobs.get(batchOfA.id)!.status).toBe('validating');
    expect(list.body.data.map((b: any) => b.id)).toEqual([batchOfB.id]);
    expect(pageAfterA).toMatchObject({ status: 400, body: { error: { param: 'after' } } });
  });
});
