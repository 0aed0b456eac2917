import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { BedrockBatchError } from './bedrockBatchErrors';
import type { BedrockBatchKnobs, ModelInvocationJobStatus } from './bedrockBatchKnobs';
import { MODEL_INVOCATION_JOB_STATUSES } from './bedrockBatchKnobs';
import {
  BatchInputError,
  type BatchManifest,
  type BatchRecord,
  type RecordResult,
  eventCreationTime,
  failedRecordPicker,
  manifestKeyFor,
  manifestOf,
  outputKeyFor,
  outputLine,
  parseBatchInput,
  parseS3Uri,
  tokensOf,
} from './bedrockBatchRecords';
import { converse } from './bedrockConverse';
import { invokeModel } from './bedrockFace';
import { SimulatorError } from './errors';
import { GpuSimulator } from './GpuSimulator';
import { DEFAULT_SIMULATOR_CONFIG, type SimulatorConfig, applyConfigPatch, describeIssues } from './SimulatorConfig';

/**
 * Bedrock's batch inference control plane (CreateModelInvocationJob, Get, List, Stop) over
 * the local S3 and EventBridge: a job reads its JSONL input from S3, walks Bedrock's
 * statuses, answers every record with the very outputs InvokeModel gives (a GPU of its
 * own, without latency, so batch work never queues behind real-time traffic), writes
 * `<jobId>/<file>.out` and `manifest.json.out`, and puts a "Batch Inference Job State
 * Change" event on the default bus at every status. Jobs live in memory.
 */

/** The account in every ARN, the local platform's. */
export const SIMULATED_ACCOUNT_ID = '000000000000';

/** Where a job's input and output are, and how to reach the AWS stand-ins. */
export interface ModelInvocationJobsOptions {
  /** The simulator's configuration now (knobs are read when a job is created). */
  config: () => SimulatorConfig;
  /** The local S3 (path-style); without it every job is refused with a ValidationException. */
  s3Endpoint?: string;
  /** The local EventBridge; without it no event is sent. */
  eventsEndpoint?: string;
  /** Region of the ARNs and of the clients. Default `us-east-1`. */
  region?: string;
  /** Credentials for the stand-ins (they accept any). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Clients to use instead of building them (tests). */
  s3Client?: S3Client;
  eventBridgeClient?: EventBridgeClient;
  /** Where a failed event put is reported; default console.error. */
  onEventError?: (error: unknown) => void;
}

const S3Config = z.object({ s3Uri: z.string().regex(/^s3:\/\/[^/]+/, 'must be an s3:// URI') }).passthrough();
const CreateRequestSchema = z.object({
  jobName: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/, 'must match [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+-.]){0,63}'),
  roleArn: z.string().regex(/^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/, 'must be an IAM role ARN'),
  modelId: z.string().min(1).max(2048),
  clientRequestToken: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/)
    .optional(),
  inputDataConfig: z.object({ s3InputDataConfig: S3Config.extend({ s3InputFormat: z.literal('JSONL').optional() }) }),
  outputDataConfig: z.object({ s3OutputDataConfig: S3Config }),
  timeoutDurationInHours: z.number().int().min(24).max(168).optional(),
  modelInvocationType: z.enum(['InvokeModel', 'Converse']).optional(),
  vpcConfig: z.unknown().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
});
type CreateRequest = z.infer<typeof CreateRequestSchema>;

/** One input file of a job and its records. */
interface InputFile {
  key: string;
  records: BatchRecord[];
}

/** A job as the simulator keeps it. */
interface Job {
  jobId: string;
  jobArn: string;
  request: CreateRequest;
  status: ModelInvocationJobStatus;
  message?: string;
  submitTime: Date;
  lastModifiedTime: Date;
  endTime?: Date;
  jobExpirationTime: Date;
  files: InputFile[];
  totalRecords: number;
  results: Map<string, RecordResult[]>;
  manifest?: BatchManifest;
  knobs: BedrockBatchKnobs;
  stop: AbortController;
  /** The events put so far, chained so they arrive in order. */
  events: Promise<void>;
}

const ACTIVE: ReadonlySet<ModelInvocationJobStatus> = new Set(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Stopping']);
const DETAIL_TYPE = 'Batch Inference Job State Change';
/** Records answered at once, between two looks at a stop. */
const CHUNK = 50;

/** The control plane; see the file comment. */
export class ModelInvocationJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly byToken = new Map<string, string>();
  private readonly region: string;
  private readonly s3: S3Client | undefined;
  private readonly eventBridge: EventBridgeClient | undefined;
  private readonly gpu: GpuSimulator;
  private readonly runs = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: ModelInvocationJobsOptions) {
    this.region = options.region ?? 'us-east-1';
    const credentials = options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' };
    this.s3 =
      options.s3Client ??
      (options.s3Endpoint
        ? new S3Client({ endpoint: options.s3Endpoint, region: this.region, forcePathStyle: true, credentials })
        : undefined);
    this.eventBridge =
      options.eventBridgeClient ??
      (options.eventsEndpoint ? new EventBridgeClient({ endpoint: options.eventsEndpoint, region: this.region, credentials }) : undefined);
    this.gpu = new GpuSimulator(batchGpuConfig(options.config()));
  }

  /**
   * CreateModelInvocationJob: validates the request and its input (record counts, the
   * per-model job quota), then starts the job. A known `clientRequestToken` returns the
   * job it created, and starts nothing.
   * @throws BedrockBatchError ValidationException, ServiceQuotaExceededException, ResourceNotFoundException.
   */
  async create(body: unknown): Promise<{ jobArn: string }> {
    const parsed = CreateRequestSchema.safeParse(body);
    if (!parsed.success) throw new BedrockBatchError('ValidationException', describeIssues(parsed.error));
    const request = parsed.data;
    const token = request.clientRequestToken;
    const known = token === undefined ? undefined : this.byToken.get(token);
    if (known !== undefined) return { jobArn: (this.jobs.get(known) as Job).jobArn };

    const config = this.options.config();
    const knobs = structuredClone(config.bedrockBatch);
    if (config.strictModels && !config.bedrockModels.includes(request.modelId)) {
      throw new BedrockBatchError(
        'ResourceNotFoundException',
        `Could not resolve the foundation model from the model identifier: ${request.modelId}`,
      );
    }
    const files = await this.readInput(request.inputDataConfig.s3InputDataConfig.s3Uri);
    const totalRecords = files.reduce((sum, file) => sum + file.records.length, 0);
    if (totalRecords < knobs.minRecordsPerJob) {
      throw new BedrockBatchError(
        'ValidationException',
        `The input has ${totalRecords} records, fewer than the minimum of ${knobs.minRecordsPerJob} records per batch inference job.`,
      );
    }
    if (totalRecords > knobs.maxRecordsPerJob) {
      throw new BedrockBatchError(
        'ValidationException',
        `The input has ${totalRecords} records, more than the maximum of ${knobs.maxRecordsPerJob} records per batch inference job.`,
      );
    }
    // A token seen while this one was reading its input wins: still one job per token.
    const raced = token === undefined ? undefined : this.byToken.get(token);
    if (raced !== undefined) return { jobArn: (this.jobs.get(raced) as Job).jobArn };
    const active = [...this.jobs.values()].filter((job) => job.request.modelId === request.modelId && ACTIVE.has(job.status)).length;
    if (active >= knobs.maxConcurrentJobsPerModel) {
      throw new BedrockBatchError(
        'ServiceQuotaExceededException',
        `The number of submitted and in-progress batch inference jobs for ${request.modelId} is at its quota (${knobs.maxConcurrentJobsPerModel}).`,
      );
    }

    const jobId = newJobId();
    const now = new Date();
    const job: Job = {
      jobId,
      jobArn: `arn:aws:bedrock:${this.region}:${SIMULATED_ACCOUNT_ID}:model-invocation-job/${jobId}`,
      request,
      status: 'Submitted',
      submitTime: now,
      lastModifiedTime: now,
      jobExpirationTime: new Date(now.getTime() + (request.timeoutDurationInHours ?? 24) * 3_600_000),
      files,
      totalRecords,
      results: new Map(),
      knobs,
      stop: new AbortController(),
      events: Promise.resolve(),
    };
    this.jobs.set(jobId, job);
    if (token !== undefined) this.byToken.set(token, jobId);
    this.emit(job);
    const run = this.run(job).catch((error: unknown) => this.fail(job, `simulator bug: ${(error as Error)?.message ?? String(error)}`));
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
    return { jobArn: job.jobArn };
  }

  /**
   * GetModelInvocationJob, by ARN or id.
   * @throws BedrockBatchError ResourceNotFoundException.
   */
  get(identifier: string): Record<string, unknown> {
    return describe(this.find(identifier));
  }

  /**
   * ListModelInvocationJobs: filters, sorted by submit time, paged with an opaque token.
   * @throws BedrockBatchError ValidationException on a bad parameter.
   */
  list(query: URLSearchParams): { invocationJobSummaries: Record<string, unknown>[]; nextToken?: string } {
    const status = query.get('statusEquals');
    if (status !== null && !(MODEL_INVOCATION_JOB_STATUSES as readonly string[]).includes(status)) {
      throw new BedrockBatchError('ValidationException', `statusEquals must be one of ${MODEL_INVOCATION_JOB_STATUSES.join(', ')}`);
    }
    const sortBy = query.get('sortBy');
    if (sortBy !== null && sortBy !== 'CreationTime') throw new BedrockBatchError('ValidationException', 'sortBy must be CreationTime');
    const sortOrder = query.get('sortOrder') ?? 'Descending';
    if (sortOrder !== 'Ascending' && sortOrder !== 'Descending') {
      throw new BedrockBatchError('ValidationException', 'sortOrder must be Ascending or Descending');
    }
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 1000;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      throw new BedrockBatchError('ValidationException', 'maxResults must be a whole number from 1 to 1000');
    }
    const after = timeParam(query, 'submitTimeAfter');
    const before = timeParam(query, 'submitTimeBefore');
    const nameContains = query.get('nameContains');
    const matching = [...this.jobs.values()]
      .filter(
        (job) =>
          (status === null || job.status === status) &&
          (nameContains === null || job.request.jobName.includes(nameContains)) &&
          (after === undefined || job.submitTime > after) &&
          (before === undefined || job.submitTime < before),
      )
      .sort((a, b) => (a.submitTime.getTime() - b.submitTime.getTime()) * (sortOrder === 'Ascending' ? 1 : -1));
    const start = pageStart(query.get('nextToken'));
    const page = matching.slice(start, start + maxResults);
    const end = start + page.length;
    return {
      invocationJobSummaries: page.map(describe),
      ...(end < matching.length ? { nextToken: Buffer.from(JSON.stringify({ start: end })).toString('base64url') } : {}),
    };
  }

  /**
   * StopModelInvocationJob: the job goes Stopping, then Stopped once the records already
   * answered are written.
   * @throws BedrockBatchError ResourceNotFoundException; ValidationException when the job has ended.
   */
  stop(identifier: string): Record<string, never> {
    const job = this.find(identifier);
    if (job.status === 'Stopping') return {};
    if (!ACTIVE.has(job.status)) {
      throw new BedrockBatchError('ValidationException', `The batch inference job ${job.jobArn} is ${job.status} and cannot be stopped.`);
    }
    this.transition(job, 'Stopping');
    job.stop.abort();
    return {};
  }

  /** Stops every job where it is (no output, no event) and lets go of the clients. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.values()) job.stop.abort();
    this.gpu.close();
    await Promise.allSettled([...this.runs]);
    await Promise.allSettled([...this.jobs.values()].map((job) => job.events));
    if (!this.options.s3Client) this.s3?.destroy();
    if (!this.options.eventBridgeClient) this.eventBridge?.destroy();
  }

  private find(identifier: string): Job {
    const match = /^(?:arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/)?([a-z0-9]{12})$/.exec(identifier);
    const job = match ? this.jobs.get(match[1] as string) : undefined;
    if (!job) throw new BedrockBatchError('ResourceNotFoundException', `The batch inference job ${identifier} does not exist.`);
    return job;
  }

  private async readInput(uri: string): Promise<InputFile[]> {
    const location = parseS3Uri(uri);
    if (!location)
      throw new BedrockBatchError('ValidationException', `inputDataConfig.s3InputDataConfig.s3Uri is not an s3:// URI: ${uri}`);
    const s3 = this.s3;
    if (!s3) {
      throw new BedrockBatchError(
        'ValidationException',
        'The simulator has no S3 endpoint (start it with --s3-endpoint) to read the input from.',
      );
    }
    try {
      const keys = location.key === '' || location.key.endsWith('/') ? [] : [location.key];
      const single = keys.length === 1 ? await readText(s3, location.bucket, location.key) : undefined;
      if (single !== undefined) return [{ key: location.key, records: parseBatchInput(location.key, single) }];
      // Not a file: a prefix, whose .jsonl files are the input.
      const prefix = location.key === '' || location.key.endsWith('/') ? location.key : `${location.key}/`;
      const found = await listKeys(s3, location.bucket, prefix);
      const files: InputFile[] = [];
      for (const key of found.filter((name) => name.endsWith('.jsonl')).sort()) {
        files.push({ key, records: parseBatchInput(key, (await readText(s3, location.bucket, key)) ?? '') });
      }
      if (files.length === 0) throw new BedrockBatchError('ValidationException', `No .jsonl input file found at ${uri}.`);
      return files;
    } catch (error) {
      if (error instanceof BedrockBatchError) throw error;
      if (error instanceof BatchInputError) throw new BedrockBatchError('ValidationException', error.message, { cause: error });
      throw new BedrockBatchError(
        'ValidationException',
        `Unable to read the input at ${uri}: ${(error as Error)?.message ?? String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  private async run(job: Job): Promise<void> {
    const signal = job.stop.signal;
    this.transition(job, 'Validating');
    this.transition(job, 'Scheduled');
    await this.gpu.sleep(job.knobs.queueDelayMs, signal);
    if (this.closed) return;
    if (signal.aborted) return this.finish(job, 'Stopped');
    if (job.knobs.jobOutcome === 'expired') {
      return this.end(job, 'Expired', 'The batch inference job expired before it could start.');
    }
    this.transition(job, 'InProgress');
    if (job.knobs.jobOutcome === 'failed') return this.end(job, 'Failed', job.knobs.failedJobMessage);

    this.gpu.updateConfig(batchGpuPatch(this.options.config()));
    const limit = job.knobs.jobOutcome === 'partiallyCompleted' ? Math.floor(job.totalRecords * job.knobs.partialShare) : job.totalRecords;
    const fails = failedRecordPicker(this.options.config().seed, job.jobId, job.knobs.failedRecordRate);
    const pending = job.files.flatMap((file) => file.records.map((record) => ({ file: file.key, record }))).slice(0, limit);
    for (let at = 0; at < pending.length && !signal.aborted; at += CHUNK) {
      const chunk = pending.slice(at, at + CHUNK);
      const started = Date.now();
      const answered = await Promise.all(
        chunk.map(({ record }) => (fails() ? Promise.resolve(failedRecord(record, job.knobs)) : this.answer(job.request, record))),
      );
      if (this.closed) return;
      for (const [index, result] of answered.entries()) {
        const file = (chunk[index] as { file: string }).file;
        const done = job.results.get(file);
        if (done) done.push(result);
        else job.results.set(file, [result]);
      }
      await this.gpu.sleep(chunk.length * job.knobs.msPerRecord - (Date.now() - started), signal);
    }
    if (this.closed) return;
    if (signal.aborted) return this.finish(job, 'Stopped');
    return this.finish(job, limit < job.totalRecords ? 'PartiallyCompleted' : 'Completed');
  }

  /**
   * Answers one record as InvokeModel (or Converse, for a `modelInvocationType: Converse`
   * job) would; a refusal becomes the record's error.
   */
  private async answer(request: CreateRequest, record: BatchRecord): Promise<RecordResult> {
    try {
      const context = { sim: this.gpu, body: record.modelInput, arrivedAt: Date.now(), signal: new AbortController().signal };
      const reply =
        request.modelInvocationType === 'Converse' ? await converse(context, request.modelId) : await invokeModel(context, request.modelId);
      if ('stream' in reply) throw new SimulatorError('validation', 'a batch record cannot ask for a stream');
      return { recordId: record.recordId, modelInput: record.modelInput, modelOutput: reply.body, ...tokensOf(reply.body) };
    } catch (error) {
      const known = error instanceof SimulatorError ? error : new SimulatorError('internal', String((error as Error)?.message ?? error));
      return { recordId: record.recordId, modelInput: record.modelInput, error: { errorCode: known.status, errorMessage: known.message } };
    }
  }

  /** Writes the output files and the manifest, then ends the job with `status`. */
  private async finish(job: Job, status: 'Completed' | 'PartiallyCompleted' | 'Stopped'): Promise<void> {
    const output = parseS3Uri(job.request.outputDataConfig.s3OutputDataConfig.s3Uri) as { bucket: string; key: string };
    const results = job.files.flatMap((file) => job.results.get(file.key) ?? []);
    const manifest = manifestOf(job.totalRecords, results);
    try {
      const s3 = this.s3 as S3Client;
      for (const file of job.files) {
        const lines = job.results.get(file.key);
        if (!lines?.length) continue;
        await putText(s3, output.bucket, outputKeyFor(output.key, job.jobId, file.key), `${lines.map(outputLine).join('\n')}\n`);
      }
      await putText(s3, output.bucket, manifestKeyFor(output.key, job.jobId), JSON.stringify(manifest));
    } catch (error) {
      return this.fail(
        job,
        `Unable to write the output to ${job.request.outputDataConfig.s3OutputDataConfig.s3Uri}: ${(error as Error)?.message ?? String(error)}`,
      );
    }
    job.manifest = manifest;
    this.end(job, status, status === 'PartiallyCompleted' ? 'Not all records could be processed before the job ended.' : undefined);
  }

  private fail(job: Job, message: string): void {
    if (!this.closed) this.end(job, 'Failed', message);
  }

  private end(job: Job, status: ModelInvocationJobStatus, message?: string): void {
    if (message !== undefined) job.message = message;
    job.endTime = new Date();
    this.transition(job, status);
  }

  private transition(job: Job, status: ModelInvocationJobStatus): void {
    job.status = status;
    job.lastModifiedTime = new Date();
    this.emit(job);
  }

  /** Puts the job's state-change event on the default bus, after the ones before it; unless dropped. */
  private emit(job: Job): void {
    const client = this.eventBridge;
    if (!client || this.options.config().bedrockBatch.dropEvents.includes(job.status)) return;
    const detail = {
      version: '0.0',
      accountId: SIMULATED_ACCOUNT_ID,
      batchJobName: job.request.jobName,
      batchJobArn: job.jobArn,
      batchModelId: job.request.modelId.startsWith('arn:')
        ? job.request.modelId
        : `arn:aws:bedrock:${this.region}::foundation-model/${job.request.modelId}`,
      status: job.status,
      failureMessage: job.status === 'Failed' ? (job.message ?? '') : '',
      creationTime: eventCreationTime(job.submitTime),
    };
    const entry = {
      Source: 'aws.bedrock',
      DetailType: DETAIL_TYPE,
      Resources: [job.jobArn],
      Detail: JSON.stringify(detail),
      Time: new Date(),
    };
    const report = this.options.onEventError ?? ((error: unknown) => console.error('[simulator] Bedrock batch event not put:', error));
    job.events = job.events.then(() =>
      client.send(new PutEventsCommand({ Entries: [entry] })).then((result) => {
        if (result.FailedEntryCount) report(new Error(JSON.stringify(result.Entries)));
      }, report),
    );
  }
}

/** A job as GetModelInvocationJob and ListModelInvocationJobs answer it. */
function describe(job: Job): Record<string, unknown> {
  const request = job.request;
  const processed = [...job.results.values()].reduce((sum, results) => sum + results.length, 0);
  const errors = [...job.results.values()].reduce((sum, results) => sum + results.filter((result) => 'error' in result).length, 0);
  return {
    jobArn: job.jobArn,
    jobName: request.jobName,
    modelId: request.modelId,
    roleArn: request.roleArn,
    ...(request.clientRequestToken !== undefined ? { clientRequestToken: request.clientRequestToken } : {}),
    status: job.status,
    ...(job.message !== undefined ? { message: job.message } : {}),
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    ...(job.endTime ? { endTime: job.endTime.toISOString() } : {}),
    inputDataConfig: request.inputDataConfig,
    outputDataConfig: request.outputDataConfig,
    timeoutDurationInHours: request.timeoutDurationInHours ?? 24,
    jobExpirationTime: job.jobExpirationTime.toISOString(),
    ...(request.modelInvocationType !== undefined ? { modelInvocationType: request.modelInvocationType } : {}),
    totalRecordCount: job.totalRecords,
    processedRecordCount: processed,
    successRecordCount: processed - errors,
    errorRecordCount: errors,
  };
}

function failedRecord(record: BatchRecord, knobs: BedrockBatchKnobs): RecordResult {
  return {
    recordId: record.recordId,
    modelInput: record.modelInput,
    error: { errorCode: knobs.failedRecordCode, errorMessage: knobs.failedRecordMessage },
  };
}

/** A GPU without latency or faults, sharing the outputs' knobs (max tokens, poison, models). */
function batchGpuConfig(config: SimulatorConfig): SimulatorConfig {
  return applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, {
    passMs: 0,
    itemMs: 0,
    slots: 1024,
    maxItemsPerPass: 100_000,
    ...batchGpuPatch(config),
  });
}

function batchGpuPatch(config: SimulatorConfig): Partial<SimulatorConfig> {
  const { dimensions, defaultMaxTokens, poisonMarker, bedrockModels, strictModels, seed } = config;
  return { dimensions, defaultMaxTokens, poisonMarker, bedrockModels, strictModels, seed };
}

function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function timeParam(query: URLSearchParams, name: string): Date | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const date = new Date(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : raw);
  if (Number.isNaN(date.getTime())) throw new BedrockBatchError('ValidationException', `${name} is not a timestamp: ${raw}`);
  return date;
}

function pageStart(token: string | null): number {
  if (token === null) return 0;
  try {
    const { start } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof start === 'number' && Number.isInteger(start) && start >= 0) return start;
  } catch {
    // Falls through to the refusal.
  }
  throw new BedrockBatchError('ValidationException', 'nextToken is not valid');
}

/** The object's text, or undefined when there is no such key. */
async function readText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as { name?: string })?.name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function putText(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }));
}
