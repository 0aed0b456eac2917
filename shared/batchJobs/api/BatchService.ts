import { isInputFormat, MODEL_FIELD, OUTPUT_FORMAT_FIELD } from '../lines/constants';
import { InvalidRequestError } from '../../errors/requestErrors';
import { logger } from '../../observability/logger';
import { JobStateConflictError } from '../job/errors';
import { newJob, type Job } from '../job/Job';
import { canTransition } from '../job/jobStateMachine';
import type { FileStore, JobStore } from '../job/ports';
import type { MessageSender, ObjectStore } from '../../domain/ports';
import { BatchNotFoundError, FileNotFoundError, FileNotReadyError } from './errors';
import { settlePendingFile } from './FileService';
import { isBatchId, isFileId, newBatchId } from './ids';
import type { IngestJobMessage } from './IngestJobMessage';
import { toListPage, type ListPage } from '../../domain/listPage';
import { toBatchObject, type BatchObject } from './openAiObjects';
import type { CreateBatchRequest, ListBatchesQuery } from './requests';
import type { PriceTable } from '../../domain/pricing';

/** What the Batch API works with. */
export interface BatchServiceDeps {
  jobs: JobStore;
  files: FileStore;
  /** The bucket, to find whether a pending (presigned) input file's bytes have arrived. */
  objects: ObjectStore;
  /** The ingest queue: one message per created batch. */
  ingest: MessageSender<IngestJobMessage>;
  /**
   * Told of each job moved to `cancelling`, to stop the work it has outside the queues
   * (its Bedrock batch inference jobs). A failure is logged: the batch sweep stops them too.
   */
  onCancelling?: (jobId: string) => Promise<unknown>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Prices a batch's usage for its `cost`; AWS list prices by default. */
  prices?: PriceTable;
}

/**
 * The Batch API use cases over the job store. A batch is a job; a tenant sees only its
 * own, and another tenant's id is answered as an unknown one (404).
 */
export class BatchService {
  private readonly now: () => number;

  constructor(private readonly deps: BatchServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * `POST /v1/batches`: creates the job in `validating` over the uploaded file (never
   * copied) and asks ingest to validate and plan it. If the message cannot be sent the
   * job is failed, so nothing waits for an ingest that will never come.
   */
  async create(tenantId: string, request: CreateBatchRequest): Promise<BatchObject> {
    const stored = isFileId(request.input_file_id) ? await this.deps.files.get(request.input_file_id) : undefined;
    if (!stored || stored.tenantId !== tenantId) throw new FileNotFoundError(request.input_file_id, 'input_file_id');
    const file = await settlePendingFile(this.deps, stored);
    if (file.pendingUpload) throw new FileNotReadyError(file.id, 'input_file_id');
    if (file.purpose !== 'batch') {
      throw new InvalidRequestError(`File ${file.id} has purpose '${file.purpose}'; a batch needs a file uploaded with purpose 'batch'.`, {
        param: 'input_file_id',
        code: 'invalid_file_purpose',
      });
    }
    const metadata = request.metadata ?? {};
    const outputFormat = metadata[OUTPUT_FORMAT_FIELD];
    if (outputFormat !== undefined && !isInputFormat(outputFormat)) {
      throw new InvalidRequestError(
        `Invalid value for 'metadata.${OUTPUT_FORMAT_FIELD}': '${outputFormat}'; expected 'openai' or 'bedrock'.`,
        {
          param: `metadata.${OUTPUT_FORMAT_FIELD}`,
          code: 'invalid_value',
        },
      );
    }
    // A Bedrock-format file names no model in its lines: `metadata.model` does, as x-amz-meta-model does for a drop.
    const model = metadata[MODEL_FIELD];
    const nowMs = this.now();
    const createdAt = Math.floor(nowMs / 1000);
    const job = newJob({
      id: newBatchId(nowMs),
      tenantId,
      endpoint: request.endpoint,
      inputFileId: file.id,
      source: { bucket: file.bucket, key: file.key, ...(model ? { model } : {}) },
      metadata: request.metadata ?? {},
      createdAt,
      ...(request.output_expires_after ? { outputExpiresAfterSeconds: request.output_expires_after.seconds } : {}),
    });
    if (!(await this.deps.jobs.create(job))) throw new Error(`A job with the new id ${job.id} exists already.`);
    try {
      await this.deps.ingest.send([{ kind: 'ingest', tenantId, jobId: job.id }]);
    } catch (error) {
      const failure = { code: 'enqueue_failed', message: 'The batch could not be queued for validation; create it again.' };
      await this.deps.jobs.transition(job.id, 'failed', { failure }, new Date(this.now())).catch(() => undefined);
      throw error;
    }
    return toBatchObject(job, this.deps.prices);
  }

  /** `GET /v1/batches/{batchId}`. */
  async retrieve(tenantId: string, batchId: string): Promise<BatchObject> {
    return toBatchObject(await this.owned(tenantId, batchId), this.deps.prices);
  }

  /** `GET /v1/batches`: the tenant's batches, newest first. */
  async list(tenantId: string, query: ListBatchesQuery): Promise<ListPage<BatchObject>> {
    if (query.after !== undefined && !(await this.find(tenantId, query.after))) {
      throw new InvalidRequestError(`Invalid value for 'after': no batch '${query.after}' to list after.`, {
        param: 'after',
        code: 'invalid_value',
      });
    }
    const { jobs, hasMore } = await this.deps.jobs.list(tenantId, { after: query.after, limit: query.limit });
    return toListPage(
      jobs.map((job) => toBatchObject(job, this.deps.prices)),
      hasMore,
    );
  }

  /**
   * `POST /v1/batches/{batchId}/cancel`: moves the job to `cancelling` (workers then stop
   * taking its chunks; finished results stay). Cancelling one already cancelling or
   * cancelled answers it as it is; one that has ended otherwise is a 409 `invalid_state`.
   */
  async cancel(tenantId: string, batchId: string): Promise<BatchObject> {
    const job = await this.owned(tenantId, batchId);
    if (isCancelled(job)) return toBatchObject(job, this.deps.prices);
    if (!canTransition(job.status, 'cancelling')) throw new JobStateConflictError(job.id, 'cancelling', job.status);
    try {
      const cancelling = await this.deps.jobs.transition(job.id, 'cancelling', {}, new Date(this.now()));
      await this.deps
        .onCancelling?.(job.id)
        .catch((error: unknown) =>
          logger.warn("a cancelled batch's outside work was not stopped now; the sweep stops it", { jobId: job.id, error: error as Error }),
        );
      return toBatchObject(cancelling, this.deps.prices);
    } catch (error) {
      if (!(error instanceof JobStateConflictError)) throw error;
      // Moved meanwhile: a concurrent cancel is as good as ours; anything else is the conflict.
      const current = await this.deps.jobs.get(job.id);
      if (current && isCancelled(current)) return toBatchObject(current, this.deps.prices);
      throw new JobStateConflictError(job.id, 'cancelling', current?.status);
    }
  }

  private async owned(tenantId: string, batchId: string): Promise<Job> {
    const job = await this.find(tenantId, batchId);
    if (!job) throw new BatchNotFoundError(batchId);
    return job;
  }

  private async find(tenantId: string, batchId: string): Promise<Job | undefined> {
    if (!isBatchId(batchId)) return undefined;
    const job = await this.deps.jobs.get(batchId);
    return job?.tenantId === tenantId ? job : undefined;
  }
}

const isCancelled = (job: Job): boolean => job.status === 'cancelling' || job.status === 'cancelled';
