import { Readable } from 'node:stream';
import type { ChunkPlan, Job, JobFailure, JobStatus } from '../../shared/batchJobs/job/Job';
import { JobStateConflictError, ObjectChangedError, ObjectMissingError } from '../../shared/batchJobs/job/errors';
import { canTransition, TERMINAL_STATUSES, timestampFieldOf } from '../../shared/batchJobs/job/jobStateMachine';
import type { ChunkCounts, FileRecord, FileStore, JobPatch, JobStore } from '../../shared/batchJobs/job/ports';
import type { DeletableObjectStore, EventPublisher, MessageSender, ObjectInfo } from '../../shared/domain/ports';
import type { UploadPartRecord, UploadRecord, UploadStore } from '../../shared/batchJobs/api/UploadStore';
import type { ApiKeyRecord, ApiKeyStore } from '../../shared/auth/ApiKeyStore';
import { mergeRouteUsage } from '../../shared/domain/cost';

const clone = <T>(value: T): T => structuredClone(value);

/** An in-memory JobStore with the DynamoDB adapter's semantics (conditional moves, once-only chunks). */
export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, Job>();
  readonly attempts = new Map<string, Map<number, string>>();
  readonly plans = new Map<string, ChunkPlan[]>();

  async create(job: Job): Promise<boolean> {
    if (this.jobs.has(job.id)) return false;
    this.jobs.set(job.id, clone(job));
    return true;
  }

  async get(jobId: string): Promise<Job | undefined> {
    const job = this.jobs.get(jobId);
    return job && clone(job);
  }

  async list(tenantId: string, page: { after?: string; limit: number }) {
    const all = [...this.jobs.values()]
      .filter((j) => j.tenantId === tenantId)
      .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
    const start = page.after ? all.findIndex((j) => j.id === page.after) + 1 : 0;
    const jobs = all.slice(start, start + page.limit).map(clone);
    return { jobs, hasMore: start + page.limit < all.length };
  }

  async transition(jobId: string, to: JobStatus, patch: JobPatch = {}, now = new Date()): Promise<Job> {
    const job = this.jobs.get(jobId);
    if (!job || !canTransition(job.status, to)) throw new JobStateConflictError(jobId, to, job?.status);
    Object.assign(job, clone(patch), { status: to, [timestampFieldOf(to)]: Math.floor(now.getTime() / 1000) });
    return clone(job);
  }

  async recordChunkDone(jobId: string, index: number, attempt: string, counts: ChunkCounts, now = new Date(), failure?: JobFailure) {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    const attempts = this.attempts.get(jobId) ?? new Map<number, string>();
    this.attempts.set(jobId, attempts);
    if (attempts.has(index) || !['in_progress', 'cancelling', 'expired'].includes(job.status)) return { applied: false, job: clone(job) };
    attempts.set(index, attempt);
    if (job.chunkProgressAt) {
      delete job.chunkProgressAt[index];
      if (Object.keys(job.chunkProgressAt).length === 0) delete job.chunkProgressAt;
    }
    if (failure && !job.failure) job.failure = clone(failure);
    job.progressAt = Math.floor(now.getTime() / 1000);
    job.chunksDone += 1;
    job.requestCounts.completed += counts.completed;
    job.requestCounts.failed += counts.failed;
    job.usage.promptTokens += counts.promptTokens;
    job.usage.completionTokens += counts.completionTokens;
    if (counts.reasoningTokens) job.usage.reasoningTokens = (job.usage.reasoningTokens ?? 0) + counts.reasoningTokens;
    if (counts.cachedTokens) job.usage.cachedTokens = (job.usage.cachedTokens ?? 0) + counts.cachedTokens;
    for (const [code, n] of Object.entries(counts.errorCodes ?? {})) {
      if (n > 0) job.errorCounts = { ...job.errorCounts, [code]: (job.errorCounts?.[code] ?? 0) + n };
    }
    if (counts.routeUsage?.length) job.usage.byRoute = mergeRouteUsage(job.usage.byRoute, counts.routeUsage);
    return { applied: true, job: clone(job) };
  }

  async setOutputs(jobId: string, outputs: Pick<JobPatch, 'outputFileId' | 'errorFileId'>): Promise<Job> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'expired') throw new JobStateConflictError(jobId, 'expired', job?.status);
    Object.assign(job, clone(outputs));
    return clone(job);
  }

  async recordChunkProgress(jobId: string, index: number, _lines: number, now = new Date()) {
    const job = this.jobs.get(jobId);
    if (!job || this.attempts.get(jobId)?.has(index) || !['in_progress', 'cancelling', 'expired'].includes(job.status)) return;
    job.chunkProgressAt = { ...job.chunkProgressAt, [index]: Math.floor(now.getTime() / 1000) };
  }

  async recordRedrive(jobId: string, seen: number, now: Date) {
    const job = this.jobs.get(jobId);
    if (!job || (job.redrives ?? 0) !== seen || !['in_progress', 'cancelling', 'expired', 'finalizing'].includes(job.status)) return false;
    job.redrives = seen + 1;
    job.progressAt = Math.floor(now.getTime() / 1000);
    return true;
  }

  async pause(jobId: string, now: Date) {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'in_progress' || job.pausedAt !== undefined) return false;
    job.pausedAt = Math.floor(now.getTime() / 1000);
    return true;
  }

  async resume(jobId: string, now: Date) {
    const job = this.jobs.get(jobId);
    if (!job || job.pausedAt === undefined) return false;
    delete job.pausedAt;
    job.progressAt = Math.floor(now.getTime() / 1000);
    return true;
  }

  async listActive(limit: number) {
    return [...this.jobs.values()]
      .filter((j) => !TERMINAL_STATUSES.includes(j.status))
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit)
      .map(clone);
  }

  async chunkAttempts(jobId: string) {
    return new Map(this.attempts.get(jobId) ?? []);
  }

  async saveChunkPlan(jobId: string, chunks: readonly ChunkPlan[]) {
    const byIndex = new Map((this.plans.get(jobId) ?? []).map((chunk) => [chunk.index, chunk]));
    for (const chunk of clone([...chunks])) byIndex.set(chunk.index, chunk);
    this.plans.set(
      jobId,
      [...byIndex.values()].sort((a, b) => a.index - b.index),
    );
  }

  async chunkPlan(jobId: string) {
    return clone(this.plans.get(jobId) ?? []);
  }

  /** Pages of 3 chunks, so that paging is exercised by small plans. */
  async *chunkPlanPages(jobId: string) {
    const plan = clone(this.plans.get(jobId) ?? []);
    for (let i = 0; i < plan.length; i += 3) yield plan.slice(i, i + 3);
  }

  async listExpired(now: number, limit: number) {
    return [...this.jobs.values()]
      .filter((j) => !TERMINAL_STATUSES.includes(j.status) && j.status !== 'cancelling' && j.expiresAt < now)
      .slice(0, limit)
      .map(clone);
  }
}

/** An in-memory FileStore. */
export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, FileRecord>();
  async put(file: FileRecord) {
    this.files.set(file.id, clone(file));
  }
  async get(fileId: string) {
    const f = this.files.get(fileId);
    return f && clone(f);
  }
  async list(tenantId: string, page: { after?: string; limit: number; purpose?: FileRecord['purpose']; order?: 'asc' | 'desc' }) {
    const all = [...this.files.values()]
      .filter((f) => f.tenantId === tenantId && (!page.purpose || f.purpose === page.purpose))
      .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
    if (page.order === 'asc') all.reverse();
    const start = page.after ? all.findIndex((f) => f.id === page.after) + 1 : 0;
    return { files: all.slice(start, start + page.limit).map(clone), hasMore: start + page.limit < all.length };
  }
  async delete(fileId: string) {
    return this.files.delete(fileId);
  }
  async listExpired(now: number, limit: number) {
    return [...this.files.values()]
      .filter((f) => f.expiresAt !== undefined && f.expiresAt < now)
      .sort((a, b) => a.expiresAt! - b.expiresAt!)
      .slice(0, limit)
      .map(clone);
  }
  async confirmUpload(fileId: string, bytes: number, expiresAt: number | undefined) {
    const file = this.files.get(fileId);
    if (!file?.pendingUpload) return undefined;
    const { pendingUpload: _pending, expiresAt: _expiresAt, ...rest } = file;
    const confirmed: FileRecord = { ...rest, bytes, ...(expiresAt !== undefined ? { expiresAt } : {}) };
    this.files.set(fileId, confirmed);
    return clone(confirmed);
  }
}

/** An in-memory UploadStore with the DynamoDB adapter's conditions (changes only while pending). */
export class MemoryUploadStore implements UploadStore {
  readonly uploads = new Map<string, UploadRecord>();
  async create(upload: UploadRecord) {
    if (this.uploads.has(upload.id)) throw new Error(`upload ${upload.id} exists`);
    this.uploads.set(upload.id, clone(upload));
  }
  async get(uploadId: string) {
    const upload = this.uploads.get(uploadId);
    return upload && clone(upload);
  }
  async addPart(uploadId: string, part: UploadPartRecord, now: number) {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.status !== 'pending' || upload.expiresAt <= now) return false;
    upload.parts[part.id] = clone(part);
    return true;
  }
  async finish(uploadId: string, to: 'completed' | 'cancelled', fileId?: string) {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.status !== 'pending') return undefined;
    upload.status = to;
    if (fileId) upload.fileId = fileId;
    return clone(upload);
  }
}

/**
 * An in-memory bucket (or several), counting reads. A read streams the body in pieces of
 * `pieceBytes`: small by default, as a network stream may give them, so line splitting
 * across reads is exercised; the benchmarks use S3's 64 KiB, so the reader's work is the
 * work it does in a Lambda, without a network.
 */
export class MemoryObjectStore implements DeletableObjectStore {
  readonly objects = new Map<string, { body: Buffer; metadata: Record<string, string>; contentType?: string; etag: string }>();
  reads = 0;
  private version = 0;
  private readonly pieceBytes: number;

  constructor(options: { pieceBytes?: number } = {}) {
    this.pieceBytes = options.pieceBytes ?? 7;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(`${bucket}/${key}`);
    return o && { size: o.body.length, etag: o.etag, metadata: { ...o.metadata }, contentType: o.contentType };
  }

  /** As S3ObjectStore: a missing key throws ObjectMissingError, another version than `ifMatch` ObjectChangedError. */
  async read(bucket: string, key: string, options: { start?: number; end?: number; ifMatch?: string } = {}): Promise<Readable> {
    const o = this.objects.get(`${bucket}/${key}`);
    if (!o) throw new ObjectMissingError(bucket, key);
    if (options.ifMatch !== undefined && options.ifMatch.replace(/"/g, '') !== o.etag.replace(/"/g, ''))
      throw new ObjectChangedError(bucket, key);
    this.reads += 1;
    const body = o.body.subarray(options.start ?? 0, options.end === undefined ? undefined : options.end + 1);
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += this.pieceBytes) pieces.push(body.subarray(i, i + this.pieceBytes));
    return Readable.from(pieces);
  }

  async write(
    bucket: string,
    key: string,
    body: string | Buffer | Readable,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ) {
    let bytes: Buffer;
    if (typeof body === 'string') bytes = Buffer.from(body);
    else if (Buffer.isBuffer(body)) bytes = body;
    else {
      const parts: Buffer[] = [];
      for await (const part of body) parts.push(Buffer.from(part as Buffer));
      bytes = Buffer.concat(parts);
    }
    this.version += 1;
    this.objects.set(`${bucket}/${key}`, {
      body: bytes,
      metadata: options.metadata ?? {},
      contentType: options.contentType,
      etag: `"v${this.version}"`,
    });
  }

  /** Removes an object, as a DeleteObject would. */
  async delete(bucket: string, key: string): Promise<void> {
    this.objects.delete(`${bucket}/${key}`);
  }

  /** The text of an object, for assertions. */
  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString('utf8');
  }
}

/** A queue that keeps what was sent. */
export class MemorySender<M> implements MessageSender<M> {
  readonly sent: M[] = [];
  async send(messages: readonly M[]) {
    this.sent.push(...clone([...messages]));
  }
}

/** An event publisher that keeps what was published. */
export class MemoryEvents implements EventPublisher {
  readonly events: { detailType: string; detail: Record<string, unknown> }[] = [];
  async publish(detailType: string, detail: Record<string, unknown>) {
    this.events.push({ detailType, detail: clone(detail) });
  }
}

/** An in-memory ApiKeyStore (only hashes in it, as in DynamoDB), counting reads. */
export class MemoryKeyStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  reads = 0;
  async findByHash(keyHash: string) {
    this.reads += 1;
    return this.records.get(keyHash);
  }
  async put(record: ApiKeyRecord) {
    this.records.set(record.keyHash, record);
  }
  async revoke(keyHash: string, at: Date) {
    const record = this.records.get(keyHash);
    if (record) record.revokedAt = at.toISOString();
  }
}
