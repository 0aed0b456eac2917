import { basename } from 'node:path';
import type {
  BatchInferenceJobInfo,
  BatchInferenceRecord,
  BatchInferenceService,
  BatchInferenceStore,
  BedrockJobStatus,
  CreateBatchInferenceJob,
} from '../../shared/batchJobs/batchInference/ports';
import { BackendThrottledError } from '../../shared/errors/backendErrors';
import type { MemoryObjectStore } from './memoryPorts';

/** The batch-inference tracking store in memory, with the DynamoDB adapter's conditions. */
export class MemoryBatchInferenceStore implements BatchInferenceStore {
  readonly records = new Map<string, BatchInferenceRecord>();
  readonly slots = new Map<string, (string | undefined)[]>();

  async create(record: BatchInferenceRecord) {
    const key = `${record.jobId}#${record.chunkIndex}`;
    if (this.records.has(key)) return false;
    this.records.set(key, structuredClone(record));
    return true;
  }
  async get(jobId: string, chunkIndex: number) {
    const found = this.records.get(`${jobId}#${chunkIndex}`);
    return found && structuredClone(found);
  }
  async listForJob(jobId: string) {
    return [...this.records.values()]
      .filter((r) => r.jobId === jobId)
      .sort((a, b) => a.chunkIndex - b.chunkIndex)
      .map((r) => structuredClone(r));
  }
  async markSubmitted(jobId: string, chunkIndex: number, jobArn: string, now: Date) {
    const record = this.records.get(`${jobId}#${chunkIndex}`);
    if (record?.state !== 'waiting') return false;
    Object.assign(record, { state: 'submitted', jobArn, submittedAt: Math.floor(now.getTime() / 1000) });
    return true;
  }
  async noteStatus(jobId: string, chunkIndex: number, status: BedrockJobStatus) {
    const record = this.records.get(`${jobId}#${chunkIndex}`);
    if (record?.state === 'submitted') record.bedrockStatus = status;
  }
  async settle(jobId: string, chunkIndex: number, outcome: Parameters<BatchInferenceStore['settle']>[2], now: Date) {
    const record = this.records.get(`${jobId}#${chunkIndex}`);
    if (!record || (record.state !== 'waiting' && record.state !== 'submitted')) return false;
    Object.assign(record, { ...outcome, finishedAt: Math.floor(now.getTime() / 1000) });
    return true;
  }
  async acquireSlot(bedrockModel: string, jobName: string, max: number) {
    const slots = this.slots.get(bedrockModel) ?? [];
    this.slots.set(bedrockModel, slots);
    if (slots.includes(jobName)) return true;
    for (let i = 0; i < max; i += 1) {
      if (slots[i] === undefined) {
        slots[i] = jobName;
        return true;
      }
    }
    return false;
  }
  async releaseSlot(bedrockModel: string, jobName: string) {
    const slots = this.slots.get(bedrockModel) ?? [];
    const at = slots.indexOf(jobName);
    if (at >= 0) slots[at] = undefined;
  }
}

/** A record's fate when a fake Bedrock job finishes. */
export type RecordFate = 'ok' | { errorCode: number; errorMessage: string } | 'missing';

/**
 * Bedrock's batch control plane over a MemoryObjectStore: `create` honours
 * `clientRequestToken`; a test ends a job with `finish`, choosing each record's fate, and
 * the output file and manifest are written as Bedrock writes them.
 */
export class FakeBatchInference implements BatchInferenceService {
  readonly jobs = new Map<string, { request: CreateBatchInferenceJob; status: BedrockJobStatus }>();
  readonly createCalls: CreateBatchInferenceJob[] = [];
  readonly stopCalls: string[] = [];
  /** Refuse creates for a quota while set. */
  busy = false;
  readonly #byToken = new Map<string, string>();

  constructor(private readonly objects: MemoryObjectStore) {}

  async create(request: CreateBatchInferenceJob) {
    this.createCalls.push(request);
    const known = this.#byToken.get(request.clientRequestToken);
    if (known) return { jobArn: known };
    if (this.busy) throw new BackendThrottledError('ServiceQuotaExceededException');
    const jobArn = `arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/job${this.jobs.size + 1}`;
    this.#byToken.set(request.clientRequestToken, jobArn);
    this.jobs.set(jobArn, { request, status: 'InProgress' });
    return { jobArn };
  }

  async get(jobArn: string): Promise<BatchInferenceJobInfo> {
    const job = this.jobs.get(jobArn);
    if (!job) throw new Error(`no job ${jobArn}`);
    return { jobArn, jobName: job.request.jobName, status: job.status };
  }

  async stop(jobArn: string) {
    this.stopCalls.push(jobArn);
    const job = this.jobs.get(jobArn);
    if (job && job.status === 'InProgress') job.status = 'Stopping';
  }

  /** Ends a job: `fate(recordId, index)` decides each record; the output and manifest are written. */
  async finish(jobArn: string, status: BedrockJobStatus, fate: (recordId: string, index: number) => RecordFate = () => 'ok') {
    const job = this.jobs.get(jobArn)!;
    const { bucket, key } = parseUri(job.request.inputUri);
    const input = (this.objects.text(bucket, key) ?? '').split('\n').filter(Boolean);
    const out: string[] = [];
    let inputTokens = 0;
    let outputTokens = 0;
    let errors = 0;
    input.forEach((line, index) => {
      const { recordId, modelInput } = JSON.parse(line) as { recordId: string; modelInput: unknown };
      const what = fate(recordId, index);
      if (what === 'missing') return;
      if (what === 'ok') {
        inputTokens += 11;
        outputTokens += 5;
        const modelOutput = {
          id: `chatcmpl-${recordId}`,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: `batch:${recordId}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
        };
        out.push(JSON.stringify({ recordId, modelInput, modelOutput }));
      } else {
        errors += 1;
        out.push(JSON.stringify({ recordId, modelInput, error: what }));
      }
    });
    const output = parseUri(job.request.outputUri);
    const folder = `${output.key}${jobArn.split('/').pop()}/`;
    await this.objects.write(output.bucket, `${folder}${basename(key)}.out`, out.map((l) => `${l}\n`).join(''));
    const manifest = {
      totalRecordCount: input.length,
      processedRecordCount: out.length,
      successRecordCount: out.length - errors,
      errorRecordCount: errors,
      inputTokenCount: inputTokens,
      outputTokenCount: outputTokens,
    };
    await this.objects.write(output.bucket, `${folder}manifest.json.out`, JSON.stringify(manifest));
    job.status = status;
  }
}

function parseUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3 uri: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
}
