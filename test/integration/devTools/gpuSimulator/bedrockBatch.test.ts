import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  type CreateModelInvocationJobCommandInput,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BedrockBatchKnobs } from '../../../../shared/devTools/gpuSimulator/bedrockBatchKnobs';
import { type RunningSimulator, startSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { type LocalEventBridge, type RecordedEvent, startLocalEventBridge } from '../../../../shared/devTools/localPlatform/eventBridge';
import { type LocalS3, startLocalS3 } from '../../../../shared/devTools/localPlatform/s3';
import { waitFor } from '../../../helpers/waitFor';
import { LOCAL_CREDENTIALS, s3ClientFor } from '../localPlatform/standIns';

const BUCKET = 'batch-bucket';
const GPT_OSS = 'openai.gpt-oss-120b-1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';
const ROLE = 'arn:aws:iam::000000000000:role/BedrockBatchRole';
const ENDED = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];

/** Bedrock batch inference on the simulator, driven by the real Bedrock and S3 clients against the local S3 and EventBridge. */
describe('GPU simulator, Bedrock batch inference', () => {
  let s3: LocalS3;
  let events: LocalEventBridge;
  let sim: RunningSimulator;
  let bedrock: BedrockClient;
  let s3Client: S3Client;
  let files = 0;

  beforeAll(async () => {
    s3 = await startLocalS3({ port: 0 });
    await s3.createBucket(BUCKET);
    events = await startLocalEventBridge({ port: 0, quiet: true });
    sim = await startSimulator({
      port: 0,
      s3Endpoint: s3.url,
      eventsEndpoint: events.url,
      bedrockBatch: { queueDelayMs: 20, msPerRecord: 0.1 },
    });
    bedrock = new BedrockClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });
    s3Client = s3ClientFor(s3.url);
  });

  afterEach(() => {
    sim.updateConfig({
      bedrockBatch: {
        queueDelayMs: 20,
        msPerRecord: 0.1,
        failedRecordRate: 0,
        jobOutcome: 'normal',
        dropEvents: [],
        minRecordsPerJob: 100,
        maxRecordsPerJob: 50_000,
        maxConcurrentJobsPerModel: 20,
      },
    });
  });

  afterAll(async () => {
    bedrock.destroy();
    s3Client.destroy();
    await sim.close();
    await events.close();
    await s3.close();
  });

  const chatRecord = (i: number) => ({
    recordId: `rec${String(i).padStart(5, '0')}`,
    modelInput: { messages: [{ role: 'user', content: `question ${i}` }], max_completion_tokens: 64 },
  });

  /** Uploads `count` records as one JSONL file and returns its s3:// URI. */
  async function upload(count: number, record: (i: number) => unknown = chatRecord, name = `input-${++files}.jsonl`): Promise<string> {
    const key = `batch/in/${name}`;
    const body = Array.from({ length: count }, (_, i) => JSON.stringify(record(i))).join('\n');
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    return `s3://${BUCKET}/${key}`;
  }

  const jobInput = (inputUri: string, extra: Partial<CreateModelInvocationJobCommandInput> = {}): CreateModelInvocationJobCommandInput => ({
    jobName: `job-${files}`,
    roleArn: ROLE,
    modelId: GPT_OSS,
    inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/batch/out/` } },
    ...extra,
  });

  const create = (input: CreateModelInvocationJobCommandInput) => bedrock.send(new CreateModelInvocationJobCommand(input));
  const get = (jobIdentifier: string) => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier }));
  const ended = (jobArn: string): Promise<GetModelInvocationJobCommandOutput> =>
    waitFor(
      () => get(jobArn),
      (job) => ENDED.includes(job.status ?? ''),
      20_000,
      25,
      `${jobArn} to end`,
    );
  const idOf = (jobArn: string) => jobArn.slice(jobArn.lastIndexOf('/') + 1);
  const text = async (key: string) =>
    (await (await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString('utf8')) ?? '';
  const outputLines = async (jobArn: string, inputName: string) =>
    (await text(`batch/out/${idOf(jobArn)}/${inputName}.out`))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const manifest = async (jobArn: string) =>
    JSON.parse(await text(`batch/out/${idOf(jobArn)}/manifest.json.out`)) as Record<string, number>;
  const eventsOf = (jobArn: string): RecordedEvent[] =>
    events.events().filter((event) => (event.detail as { batchJobArn?: string }).batchJobArn === jobArn);
  const statusesOf = (jobArn: string) => eventsOf(jobArn).map((event) => (event.detail as { status: string }).status);
  /** The error a call failed with, or a failure if it did not fail. */
  async function failure(call: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
    try {
      await call;
    } catch (error) {
      return error as Error & { $metadata: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to fail');
  }
  const knobs = (patch: Partial<BedrockBatchKnobs>) => sim.updateConfig({ bedrockBatch: patch });

  it('runs a job to Completed: events in order, one output line per record and the manifest in Bedrock format', async () => {
    // Prepare
    const uri = await upload(120);
    const inputName = uri.slice(uri.lastIndexOf('/') + 1);

    // Act
    const { jobArn } = await create(jobInput(uri, { jobName: 'complete-me', timeoutDurationInHours: 48 }));
    const job = await ended(jobArn!);
    await waitFor(
      () => statusesOf(jobArn!),
      (statuses) => statuses.includes('Completed'),
      5_000,
      25,
    );
    const lines = await outputLines(jobArn!, inputName);
    const summary = await manifest(jobArn!);

    // Assess
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:000000000000:model-invocation-job\/[a-z0-9]{12}$/);
    expect(job).toMatchObject({
      jobArn,
      jobName: 'complete-me',
      modelId: GPT_OSS,
      roleArn: ROLE,
      status: 'Completed',
      timeoutDurationInHours: 48,
      inputDataConfig: { s3InputDataConfig: { s3Uri: uri } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/batch/out/` } },
      totalRecordCount: 120,
      processedRecordCount: 120,
      successRecordCount: 120,
      errorRecordCount: 0,
    });
    expect(job.submitTime).toBeInstanceOf(Date);
    expect(job.endTime!.getTime()).toBeGreaterThanOrEqual(job.submitTime!.getTime());
    expect(job.jobExpirationTime!.getTime() - job.submitTime!.getTime()).toBe(48 * 3_600_000);
    expect(statusesOf(jobArn!)).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed']);
    expect(eventsOf(jobArn!)[0]).toMatchObject({
      source: 'aws.bedrock',
      'detail-type': 'Batch Inference Job State Change',
      resources: [jobArn],
      eventBusName: 'default',
      detail: {
        version: '0.0',
        accountId: '000000000000',
        batchJobName: 'complete-me',
        batchJobArn: jobArn,
        batchModelId: `arn:aws:bedrock:us-east-1::foundation-model/${GPT_OSS}`,
        status: 'Submitted',
        failureMessage: '',
        creationTime: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/),
      },
    });
    expect(lines).toHaveLength(120);
    expect(lines.map((line) => line.recordId)).toEqual(Array.from({ length: 120 }, (_, i) => chatRecord(i).recordId));
    expect(lines[0]).toEqual({
      recordId: 'rec00000',
      modelInput: chatRecord(0).modelInput,
      modelOutput: expect.objectContaining({
        object: 'chat.completion',
        usage: expect.objectContaining({ prompt_tokens: expect.any(Number) }),
      }),
    });
    const usage = lines.map((line) => (line.modelOutput as { usage: { prompt_tokens: number; completion_tokens: number } }).usage);
    expect(summary).toEqual({
      totalRecordCount: 120,
      processedRecordCount: 120,
      successRecordCount: 120,
      errorRecordCount: 0,
      inputTokenCount: usage.reduce((sum, u) => sum + u.prompt_tokens, 0),
      outputTokenCount: usage.reduce((sum, u) => sum + u.completion_tokens, 0),
    });
  });

  it('answers each record as InvokeModel does: the same chat completion and the same Titan embedding', async () => {
    // Prepare
    const uri = await upload(100, (i) => ({ recordId: `t${i}`, modelInput: { inputText: `text ${i}`, dimensions: 256 } }));
    const invoke = async (body: unknown) =>
      (await fetch(`${sim.url}/model/${encodeURIComponent(TITAN)}/invoke`, { method: 'POST', body: JSON.stringify(body) })).json();

    // Act
    const { jobArn } = await create(jobInput(uri, { modelId: TITAN }));
    await ended(jobArn!);
    const lines = await outputLines(jobArn!, uri.slice(uri.lastIndexOf('/') + 1));
    const direct = await invoke({ inputText: 'text 7', dimensions: 256 });

    // Assess
    expect(lines[7]?.modelOutput).toEqual(direct);
    expect(await manifest(jobArn!)).toMatchObject({
      inputTokenCount: lines.reduce((sum, line) => sum + (line.modelOutput as { inputTextTokenCount: number }).inputTextTokenCount, 0),
      outputTokenCount: 0,
    });
  });

  it('answers a Converse job (modelInvocationType Converse) with Converse responses, and counts their tokens', async () => {
    // Prepare
    const uri = await upload(100, (i) => ({
      recordId: `c${i}`,
      modelInput: { messages: [{ role: 'user', content: [{ text: `hello ${i}` }] }] },
    }));

    // Act
    const { jobArn } = await create(jobInput(uri, { modelInvocationType: 'Converse' }));
    const job = await ended(jobArn!);
    const lines = await outputLines(jobArn!, uri.slice(uri.lastIndexOf('/') + 1));
    const usage = lines.map((line) => (line.modelOutput as { usage: { inputTokens: number; outputTokens: number } }).usage);

    // Assess
    expect(job).toMatchObject({ status: 'Completed', modelInvocationType: 'Converse' });
    expect(lines[0]?.modelOutput).toMatchObject({ output: { message: { role: 'assistant' } }, stopReason: expect.any(String) });
    expect(await manifest(jobArn!)).toMatchObject({
      inputTokenCount: usage.reduce((sum, u) => sum + u.inputTokens, 0),
      outputTokenCount: usage.reduce((sum, u) => sum + u.outputTokens, 0),
    });
  });

  it('reads every .jsonl file under a prefix and writes one .out per input file', async () => {
    // Prepare
    await upload(60, chatRecord, 'prefix-run/a.jsonl');
    await upload(50, chatRecord, 'prefix-run/b.jsonl');

    // Act
    const { jobArn } = await create(jobInput(`s3://${BUCKET}/batch/in/prefix-run/`));
    const job = await ended(jobArn!);
    const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `batch/out/${idOf(jobArn!)}/` }));

    // Assess
    expect(job.totalRecordCount).toBe(110);
    expect((listed.Contents ?? []).map((object) => object.Key).sort()).toEqual(
      ['a.jsonl.out', 'b.jsonl.out', 'manifest.json.out'].map((name) => `batch/out/${idOf(jobArn!)}/${name}`),
    );
    expect(await outputLines(jobArn!, 'a.jsonl')).toHaveLength(60);
  });

  it('honours clientRequestToken: the same token returns the same job and starts nothing new', async () => {
    // Prepare
    const uri = await upload(100);
    const input = jobInput(uri, { clientRequestToken: `token-${files}` });

    // Act
    const first = await create(input);
    const second = await create(input);
    await ended(first.jobArn!);
    const third = await create(input);
    const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: input.jobName }));

    // Assess
    expect(second.jobArn).toBe(first.jobArn);
    expect(third.jobArn).toBe(first.jobArn);
    expect(listed.invocationJobSummaries?.map((job) => job.jobArn)).toEqual([first.jobArn]);
    expect(statusesOf(first.jobArn!).filter((status) => status === 'Submitted')).toHaveLength(1);
  });

  it('refuses fewer records than the minimum and more than the maximum with a ValidationException', async () => {
    // Prepare
    const small = await upload(99);
    const large = await upload(30);

    // Act
    const tooFew = await failure(create(jobInput(small)));
    knobs({ maxRecordsPerJob: 20, minRecordsPerJob: 10 });
    const tooMany = await failure(create(jobInput(large)));
    const missing = await failure(create(jobInput(`s3://${BUCKET}/batch/in/nothing-here.jsonl`)));

    // Assess
    expect(tooFew.name).toBe('ValidationException');
    expect(tooFew.$metadata.httpStatusCode).toBe(400);
    expect(tooFew.message).toMatch(/99 records, fewer than the minimum of 100/);
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toMatch(/30 records, more than the maximum of 20/);
    expect(missing.name).toBe('ValidationException');
  });

  it('refuses a job over the concurrent-jobs-per-model quota with ServiceQuotaExceededException', async () => {
    // Prepare
    knobs({ maxConcurrentJobsPerModel: 1, queueDelayMs: 60_000 });
    const uri = await upload(100);
    const { jobArn } = await create(jobInput(uri));

    // Act
    const refused = await failure(create(jobInput(uri, { jobName: 'second' })));
    const otherModel = await create(jobInput(uri, { modelId: 'openai.gpt-oss-20b-1:0' }));
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: otherModel.jobArn }));
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    await ended(jobArn!);
    const afterStop = await create(jobInput(uri, { jobName: 'third' }));

    // Assess
    expect(refused.name).toBe('ServiceQuotaExceededException');
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(otherModel.jobArn).toMatch(/model-invocation-job/);
    expect(afterStop.jobArn).toMatch(/model-invocation-job/);
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: afterStop.jobArn }));
  });

  it('stops a running job: Stopping, then Stopped, with the output of the records already done', async () => {
    // Prepare
    knobs({ msPerRecord: 20 });
    const uri = await upload(400);
    const inputName = uri.slice(uri.lastIndexOf('/') + 1);
    const { jobArn } = await create(jobInput(uri));
    await waitFor(
      () => get(jobArn!),
      (job) => (job.processedRecordCount ?? 0) >= 50,
      20_000,
      25,
    );

    // Act
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: idOf(jobArn!) }));
    const stopping = await get(jobArn!);
    const job = await ended(jobArn!);
    const lines = await outputLines(jobArn!, inputName);
    const summary = await manifest(jobArn!);
    const again = await failure(bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })));

    // Assess
    expect(['Stopping', 'Stopped']).toContain(stopping.status);
    expect(job.status).toBe('Stopped');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(400);
    expect(summary).toMatchObject({ totalRecordCount: 400, processedRecordCount: lines.length, successRecordCount: lines.length });
    await waitFor(
      () => statusesOf(jobArn!),
      (statuses) => statuses.includes('Stopped'),
      5_000,
      25,
    );
    expect(statusesOf(jobArn!)).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Stopping', 'Stopped']);
    expect(again.name).toBe('ValidationException');
  });

  it('fails a share of the records with the configured Bedrock error code (failedRecordRate)', async () => {
    // Prepare
    knobs({ failedRecordRate: 0.3, failedRecordCode: 429, failedRecordMessage: 'Too many requests' });
    const uri = await upload(200);

    // Act
    const { jobArn } = await create(jobInput(uri));
    const job = await ended(jobArn!);
    const lines = await outputLines(jobArn!, uri.slice(uri.lastIndexOf('/') + 1));
    const failed = lines.filter((line) => 'error' in line);

    // Assess
    expect(job.status).toBe('Completed');
    expect(failed.length).toBeGreaterThan(20);
    expect(failed.length).toBeLessThan(100);
    expect(failed[0]).toEqual({
      recordId: expect.any(String),
      modelInput: expect.any(Object),
      error: { errorCode: 429, errorMessage: 'Too many requests' },
    });
    expect(failed[0]).not.toHaveProperty('modelOutput');
    expect(await manifest(jobArn!)).toMatchObject({
      processedRecordCount: 200,
      errorRecordCount: failed.length,
      successRecordCount: 200 - failed.length,
    });
    expect(job.errorRecordCount).toBe(failed.length);
  });

  it('gives a record with the poison marker a 400 error line, as InvokeModel refuses it', async () => {
    // Prepare
    const uri = await upload(100, (i) => ({
      recordId: `p${i}`,
      modelInput: { messages: [{ role: 'user', content: i === 3 ? 'x __POISON__' : `q ${i}` }] },
    }));

    // Act
    const { jobArn } = await create(jobInput(uri));
    await ended(jobArn!);
    const lines = await outputLines(jobArn!, uri.slice(uri.lastIndexOf('/') + 1));

    // Assess
    expect(lines[3]).toMatchObject({ recordId: 'p3', error: { errorCode: 400 } });
    expect(lines.filter((line) => 'error' in line)).toHaveLength(1);
  });

  it('fails a job as a whole (jobOutcome failed): Failed with its message, in Get and in the event, and no output', async () => {
    // Prepare
    knobs({ jobOutcome: 'failed', failedJobMessage: 'Internal error while processing the batch' });
    const uri = await upload(100);

    // Act
    const { jobArn } = await create(jobInput(uri));
    const job = await ended(jobArn!);
    await waitFor(
      () => statusesOf(jobArn!),
      (statuses) => statuses.includes('Failed'),
      5_000,
      25,
    );
    const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `batch/out/${idOf(jobArn!)}/` }));

    // Assess
    expect(job).toMatchObject({ status: 'Failed', message: 'Internal error while processing the batch' });
    expect(eventsOf(jobArn!).at(-1)?.detail).toMatchObject({
      status: 'Failed',
      failureMessage: 'Internal error while processing the batch',
    });
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('ends a job PartiallyCompleted (jobOutcome partiallyCompleted) with part of the records written', async () => {
    // Prepare
    knobs({ jobOutcome: 'partiallyCompleted', partialShare: 0.25 });
    const uri = await upload(200);

    // Act
    const { jobArn } = await create(jobInput(uri));
    const job = await ended(jobArn!);

    // Assess
    expect(job.status).toBe('PartiallyCompleted');
    expect(await outputLines(jobArn!, uri.slice(uri.lastIndexOf('/') + 1))).toHaveLength(50);
    expect(await manifest(jobArn!)).toMatchObject({ totalRecordCount: 200, processedRecordCount: 50 });
  });

  it('ends a job Expired (jobOutcome expired) without output', async () => {
    // Prepare
    knobs({ jobOutcome: 'expired' });
    const uri = await upload(100);

    // Act
    const { jobArn } = await create(jobInput(uri));
    const job = await ended(jobArn!);

    // Assess
    expect(job.status).toBe('Expired');
    expect(statusesOf(jobArn!)).not.toContain('InProgress');
  });

  it('holds a job Scheduled for queueDelayMs (slow queue) and drops the events of dropEvents (missed event)', async () => {
    // Prepare
    knobs({ queueDelayMs: 60_000, dropEvents: ['Completed'] });
    const uri = await upload(100);

    // Act
    const { jobArn } = await create(jobInput(uri));
    const scheduled = await waitFor(
      () => get(jobArn!),
      (job) => job.status === 'Scheduled',
      5_000,
      25,
    );
    const stillScheduled = await get(jobArn!);
    knobs({ queueDelayMs: 20 });
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    const slow = await ended(jobArn!);
    const uri2 = await upload(100);
    const { jobArn: second } = await create(jobInput(uri2));
    const completed = await ended(second!);
    await waitFor(
      () => statusesOf(second!),
      (statuses) => statuses.includes('InProgress'),
      5_000,
      25,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(scheduled.status).toBe('Scheduled');
    expect(stillScheduled.status).toBe('Scheduled');
    expect(slow.status).toBe('Stopped');
    expect(slow.processedRecordCount).toBe(0);
    expect(completed.status).toBe('Completed');
    expect(statusesOf(second!)).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress']);
  });

  it('gets a job by id or ARN, lists with filters and pages, and answers ResourceNotFoundException for an unknown job', async () => {
    // Prepare
    const uri = await upload(100);
    const a = await create(jobInput(uri, { jobName: 'listing-a' }));
    const b = await create(jobInput(uri, { jobName: 'listing-b' }));
    await ended(a.jobArn!);
    await ended(b.jobArn!);

    // Act
    const byId = await get(idOf(a.jobArn!));
    const page1 = await bedrock.send(
      new ListModelInvocationJobsCommand({ nameContains: 'listing-', maxResults: 1, sortOrder: 'Ascending' }),
    );
    const page2 = await bedrock.send(
      new ListModelInvocationJobsCommand({ nameContains: 'listing-', maxResults: 1, sortOrder: 'Ascending', nextToken: page1.nextToken }),
    );
    const completed = await bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: 'Completed', nameContains: 'listing-' }));
    const future = await bedrock.send(new ListModelInvocationJobsCommand({ submitTimeAfter: new Date(Date.now() + 60_000) }));
    const unknown = await failure(get('abcdefghijkl'));

    // Assess
    expect(byId.jobArn).toBe(a.jobArn);
    expect(page1.invocationJobSummaries?.map((job) => job.jobName)).toEqual(['listing-a']);
    expect(page2.invocationJobSummaries?.map((job) => job.jobName)).toEqual(['listing-b']);
    expect(page2.nextToken).toBeUndefined();
    expect(completed.invocationJobSummaries?.map((job) => job.jobName).sort()).toEqual(['listing-a', 'listing-b']);
    expect(future.invocationJobSummaries).toEqual([]);
    expect(unknown.name).toBe('ResourceNotFoundException');
    expect(unknown.$metadata.httpStatusCode).toBe(404);
  });
});
