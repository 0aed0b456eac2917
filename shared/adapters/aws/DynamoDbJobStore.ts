import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ChunkPlan, ErrorCounts, Job, JobFailure, JobStatus } from '../../batchJobs/job/Job';
import { JobStateConflictError } from '../../batchJobs/job/errors';
import { statusesBefore, TERMINAL_STATUSES, timestampFieldOf } from '../../batchJobs/job/jobStateMachine';
import type { ChunkCounts, JobPatch, JobStore } from '../../batchJobs/job/ports';
import { PricedRoute } from '../../domain/pricing';
import type { RouteUsage } from '../../domain/cost';

const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
const pad = (n: number, width = 12) => String(n).padStart(width, '0');
/**
 * A running chunk's advisory progress: one top-level attribute per chunk, so setting and
 * removing it never depends on a parent map existing (jobs created before it had none).
 */
const PROGRESS_PREFIX = 'chunkProgress_';
/** When a running chunk last reported progress (unix seconds), by its index. */
const PROGRESS_AT_PREFIX = 'chunkProgressAt_';
/** Statuses in which a chunk may still be recorded done (expired and cancelling jobs drain). */
const DRAINING: readonly JobStatus[] = ['in_progress', 'cancelling', 'expired'];
/** A chunk can still be recorded (or report progress): not recorded yet, and its job still draining. */
const CHUNK_OPEN = `attribute_not_exists(chunkAttempts.#idx) AND #status IN (${DRAINING.map((_, i) => `:s${i}`).join(', ')})`;
const CHUNK_OPEN_VALUES = Object.fromEntries(DRAINING.map((status, i) => [`:s${i}`, status]));

/**
 * Failed lines of one error code: a top-level counter each (`errorCount#backend_timeout`),
 * so a chunk adds to it with `ADD`, which needs no map to exist first (a job created before
 * the counts were kept takes them as well).
 */
const ERROR_COUNT_PREFIX = 'errorCount#';

/**
 * A job's usage by route: a top-level counter per route, model and field
 * (`routeUsage|bedrock-flex|openai.gpt-oss-20b-1:0|inputTokens`), added with `ADD` like
 * the error counts, so that a chunk's record stays one conditional write.
 */
const ROUTE_USAGE_PREFIX = 'routeUsage|';
const ROUTE_USAGE_FIELDS = ['requests', 'inputTokens', 'outputTokens', 'gpuMs'] as const;

/** `usage.byRoute` as the item's flat counters. */
function flatRouteUsage(usage: readonly RouteUsage[] = []): Record<string, number> {
  return Object.fromEntries(
    usage.flatMap((entry) =>
      ROUTE_USAGE_FIELDS.flatMap((field) => {
        const value = entry[field];
        return value === undefined || value === 0 ? [] : [[`${ROUTE_USAGE_PREFIX}${entry.route}|${entry.model}|${field}`, value]];
      }),
    ),
  );
}

/** Reads one flat route-usage counter into `byRoute` (keyed by route and model); ignores a name it cannot read. */
function readRouteUsage(byRoute: Map<string, RouteUsage>, name: string, value: unknown): void {
  const parts = name.slice(ROUTE_USAGE_PREFIX.length).split('|');
  const route = PricedRoute.safeParse(parts[0]);
  const field = parts.at(-1) as (typeof ROUTE_USAGE_FIELDS)[number];
  const model = parts.slice(1, -1).join('|');
  if (!route.success || !model || !ROUTE_USAGE_FIELDS.includes(field) || typeof value !== 'number') return;
  const key = `${route.data}|${model}`;
  const entry = byRoute.get(key) ?? { route: route.data, model, requests: 0, inputTokens: 0, outputTokens: 0 };
  entry[field] = value;
  byRoute.set(key, entry);
}

/** `errorCounts` as the item's flat counters. */
const flatErrorCounts = (counts: ErrorCounts = {}): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).map(([code, n]) => [`${ERROR_COUNT_PREFIX}${code}`, n]));

/** A job as one DynamoDB item: counters flat, so each is one `ADD`. */
type JobItem = Omit<Job, 'requestCounts' | 'usage' | 'errorCounts'> & {
  countTotal: number;
  countCompleted: number;
  countFailed: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens?: number;
  cachedTokens?: number;
  chunkAttempts: Record<string, string>;
};

function toItem(job: Job): Record<string, unknown> {
  const { requestCounts, usage, errorCounts, inFlightLines: _advisory, ...rest } = job;
  const active = !TERMINAL_STATUSES.includes(job.status);
  return {
    ...jobKey(job.id),
    type: 'job',
    ...rest,
    countTotal: requestCounts.total,
    countCompleted: requestCounts.completed,
    countFailed: requestCounts.failed,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    ...(usage.reasoningTokens ? { reasoningTokens: usage.reasoningTokens } : {}),
    ...(usage.cachedTokens ? { cachedTokens: usage.cachedTokens } : {}),
    ...flatRouteUsage(usage.byRoute),
    ...flatErrorCounts(errorCounts),
    chunkAttempts: {},
    gsi1pk: `TENANT#${job.tenantId}#JOBS`,
    gsi1sk: `${pad(job.createdAt)}#${job.id}`,
    ...(active ? { gsi2pk: 'ACTIVE_JOBS', gsi2sk: `${pad(job.expiresAt)}#${job.id}` } : {}),
  };
}

/** The attribute names of chunk `index` that its progress and its record write (with the CHUNK_OPEN condition's). */
function chunkNames(index: number): Record<string, string> {
  return {
    '#idx': String(index),
    '#status': 'status',
    '#progress': `${PROGRESS_PREFIX}${index}`,
    '#progressAt': `${PROGRESS_AT_PREFIX}${index}`,
  };
}

function fromItem(item: Record<string, unknown>): Job {
  const {
    pk: _pk,
    sk: _sk,
    type: _type,
    gsi1pk: _g1,
    gsi1sk: _g1s,
    gsi2pk: _g2,
    gsi2sk: _g2s,
    chunkAttempts: _ca,
    countTotal,
    countCompleted,
    countFailed,
    promptTokens,
    completionTokens,
    reasoningTokens,
    cachedTokens,
    ...others
  } = item as JobItem & Record<string, unknown>;
  const rest: Record<string, unknown> = {};
  const errorCounts: ErrorCounts = {};
  const byRoute = new Map<string, RouteUsage>();
  let inFlightLines = 0;
  const chunkProgressAt: Record<number, number> = {};
  for (const [name, value] of Object.entries(others)) {
    if (name.startsWith(PROGRESS_AT_PREFIX)) chunkProgressAt[Number(name.slice(PROGRESS_AT_PREFIX.length))] = Number(value) || 0;
    else if (name.startsWith(PROGRESS_PREFIX)) inFlightLines += Number(value) || 0;
    else if (name.startsWith(ROUTE_USAGE_PREFIX)) readRouteUsage(byRoute, name, value);
    else if (!name.startsWith(ERROR_COUNT_PREFIX)) rest[name] = value;
    else if (typeof value === 'number' && value > 0) errorCounts[name.slice(ERROR_COUNT_PREFIX.length)] = value;
  }
  return {
    ...(rest as unknown as Omit<Job, 'requestCounts' | 'usage'>),
    ...(inFlightLines > 0 ? { inFlightLines } : {}),
    ...(Object.keys(chunkProgressAt).length > 0 ? { chunkProgressAt } : {}),
    requestCounts: { total: countTotal, completed: countCompleted, failed: countFailed },
    ...(Object.keys(errorCounts).length > 0 ? { errorCounts } : {}),
    usage: {
      promptTokens,
      completionTokens,
      ...(reasoningTokens ? { reasoningTokens } : {}),
      ...(cachedTokens ? { cachedTokens } : {}),
      ...(byRoute.size > 0 ? { byRoute: [...byRoute.values()] } : {}),
    },
  };
}

/**
 * Jobs and their chunk plans in the platform table. Every change is one conditional
 * single-item write; a chunk's "done" mark and its counts go in the same write, which is
 * what makes a redelivered chunk change nothing.
 */
export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: Job): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(job), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(jobId: string): Promise<Job | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true }));
    return Item?.type === 'job' ? fromItem(Item) : undefined;
  }

  async list(tenantId: string, page: { after?: string; limit: number }): Promise<{ jobs: Job[]; hasMore: boolean }> {
    let startKey: Record<string, unknown> | undefined;
    if (page.after) {
      const after = await this.get(page.after);
      if (after && after.tenantId === tenantId)
        startKey = { ...jobKey(after.id), gsi1pk: `TENANT#${tenantId}#JOBS`, gsi1sk: `${pad(after.createdAt)}#${after.id}` };
    }
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#JOBS` },
        ScanIndexForward: false,
        Limit: page.limit + 1,
        ExclusiveStartKey: startKey,
      }),
    );
    return { jobs: Items.slice(0, page.limit).map(fromItem), hasMore: Items.length > page.limit };
  }

  async transition(jobId: string, to: JobStatus, patch: JobPatch = {}, now = new Date()): Promise<Job> {
    const froms = statusesBefore(to);
    const names: Record<string, string> = { '#status': 'status', '#ts': timestampFieldOf(to) };
    const values: Record<string, unknown> = { ':to': to, ':ts': Math.floor(now.getTime() / 1000) };
    const sets = ['#status = :to', '#ts = :ts'];
    const fields: Record<string, unknown> = { ...patch };
    if (patch.requestCounts) {
      delete fields.requestCounts;
      Object.assign(fields, {
        countTotal: patch.requestCounts.total,
        countCompleted: patch.requestCounts.completed,
        countFailed: patch.requestCounts.failed,
      });
    }
    if (patch.errorCounts) {
      delete fields.errorCounts;
      Object.assign(fields, flatErrorCounts(patch.errorCounts));
    }
    // An undefined field is "not set": DynamoDB refuses an expression value that is undefined.
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .forEach(([field, value], i) => {
        names[`#f${i}`] = field;
        values[`:f${i}`] = value;
        sets.push(`#f${i} = :f${i}`);
      });
    froms.forEach((from, i) => {
      values[`:from${i}`] = from;
    });
    const remove = TERMINAL_STATUSES.includes(to) ? ' REMOVE gsi2pk, gsi2sk' : '';
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression: `SET ${sets.join(', ')}${remove}`,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${froms.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(Attributes!);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new JobStateConflictError(jobId, to, (await this.get(jobId))?.status);
    }
  }

  async recordChunkDone(
    jobId: string,
    index: number,
    attempt: string,
    counts: ChunkCounts,
    now = new Date(),
    failure?: JobFailure,
  ): Promise<{ applied: boolean; job: Job }> {
    const codes = Object.entries(counts.errorCodes ?? {}).filter(([, n]) => n > 0);
    const routes = Object.entries(flatRouteUsage(counts.routeUsage));
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          // The cause goes in the chunk's own write: a delivery that loses the chunk records nothing.
          UpdateExpression:
            `SET chunkAttempts.#idx = :attempt, progressAt = :now${failure ? ', failure = if_not_exists(failure, :failure)' : ''} REMOVE #progress, #progressAt ADD chunksDone :one, countCompleted :c, countFailed :f, promptTokens :p, completionTokens :ct, reasoningTokens :rt, cachedTokens :kt` +
            codes.map((_, i) => `, #e${i} :e${i}`).join('') +
            routes.map((_, i) => `, #r${i} :r${i}`).join(''),
          ConditionExpression: CHUNK_OPEN,
          ExpressionAttributeNames: {
            ...chunkNames(index),
            ...Object.fromEntries(codes.map(([code], i) => [`#e${i}`, `${ERROR_COUNT_PREFIX}${code}`])),
            ...Object.fromEntries(routes.map(([name], i) => [`#r${i}`, name])),
          },
          ExpressionAttributeValues: {
            ':attempt': attempt,
            ':now': Math.floor(now.getTime() / 1000),
            ':one': 1,
            ':c': counts.completed,
            ':f': counts.failed,
            ':p': counts.promptTokens,
            ':ct': counts.completionTokens,
            ...(failure ? { ':failure': failure } : {}),
            ':rt': counts.reasoningTokens ?? 0,
            ':kt': counts.cachedTokens ?? 0,
            ...Object.fromEntries(codes.map(([, n], i) => [`:e${i}`, n])),
            ...Object.fromEntries(routes.map(([, n], i) => [`:r${i}`, n])),
            ...CHUNK_OPEN_VALUES,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, job: fromItem(Attributes!) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const job = await this.get(jobId);
      if (!job) throw new Error(`Job ${jobId} does not exist`);
      return { applied: false, job };
    }
  }

  async recordChunkProgress(jobId: string, index: number, lines: number, now = new Date()): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression: 'SET #progress = :lines, #progressAt = :now',
          ConditionExpression: CHUNK_OPEN,
          ExpressionAttributeNames: {
            ...chunkNames(index),
          },
          ExpressionAttributeValues: {
            ':lines': lines,
            ':now': Math.floor(now.getTime() / 1000),
            ...CHUNK_OPEN_VALUES,
          },
        }),
      );
    } catch (error) {
      // The chunk was recorded meanwhile, or the job moved on: the progress no longer matters.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async setOutputs(jobId: string, outputs: Pick<JobPatch, 'outputFileId' | 'errorFileId'>): Promise<Job> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression: `SET ${[outputs.outputFileId && 'outputFileId = :out', outputs.errorFileId && 'errorFileId = :err', '#status = :expired'].filter(Boolean).join(', ')}`,
          ConditionExpression: '#status = :expired',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':expired': 'expired',
            ...(outputs.outputFileId ? { ':out': outputs.outputFileId } : {}),
            ...(outputs.errorFileId ? { ':err': outputs.errorFileId } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(Attributes!);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new JobStateConflictError(jobId, 'expired', (await this.get(jobId))?.status);
    }
  }

  async recordRedrive(jobId: string, seen: number, now: Date): Promise<boolean> {
    const statuses = [...DRAINING, 'finalizing'];
    return this.#conditionalUpdate({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'SET redrives = :next, progressAt = :now',
      ConditionExpression: `attribute_exists(pk) AND ${seen === 0 ? '(attribute_not_exists(redrives) OR redrives = :seen)' : 'redrives = :seen'} AND #status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':next': seen + 1,
        ':seen': seen,
        ':now': Math.floor(now.getTime() / 1000),
        ...Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s])),
      },
    });
  }

  async pause(jobId: string, now: Date): Promise<boolean> {
    return this.#conditionalUpdate({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'SET pausedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(pausedAt) AND #status = :inProgress',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000), ':inProgress': 'in_progress' },
    });
  }

  async resume(jobId: string, now: Date): Promise<boolean> {
    return this.#conditionalUpdate({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'REMOVE pausedAt SET progressAt = :now',
      ConditionExpression: 'attribute_exists(pausedAt)',
      ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
    });
  }

  /** One conditional update: false when its condition does not hold. */
  async #conditionalUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listActive(limit: number): Promise<Job[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ACTIVE_JOBS' },
          Limit: limit - ids.length,
          ExclusiveStartKey: startKey,
        }),
      );
      ids.push(...(page.Items ?? []).map((item) => String(item.pk).slice('JOB#'.length)));
      startKey = page.LastEvaluatedKey;
    } while (startKey && ids.length < limit);
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return jobs.filter((job): job is Job => job !== undefined && !TERMINAL_STATUSES.includes(job.status));
  }

  async chunkAttempts(jobId: string): Promise<Map<number, string>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true, ProjectionExpression: 'chunkAttempts' }),
    );
    return new Map(
      Object.entries((Item?.chunkAttempts ?? {}) as Record<string, string>).map(([index, attempt]) => [Number(index), attempt]),
    );
  }

  async saveChunkPlan(jobId: string, chunks: readonly ChunkPlan[]): Promise<void> {
    // Up to four BatchWriteItems (25 items each) go out together: one round trip per 100 chunks, not per 25.
    for (let group = 0; group < chunks.length; group += 100) {
      const writes: Promise<void>[] = [];
      for (let i = group; i < Math.min(group + 100, chunks.length); i += 25) writes.push(this.#writeChunks(jobId, chunks.slice(i, i + 25)));
      await Promise.all(writes);
    }
  }

  /** One BatchWriteItem of at most 25 chunks; it may leave some writes unprocessed under load: those are resent, backing off. */
  async #writeChunks(jobId: string, chunks: readonly ChunkPlan[]): Promise<void> {
    let requests: Record<string, unknown>[] | undefined = chunks.map((chunk) => ({
      PutRequest: { Item: { pk: `JOB#${jobId}`, sk: `CHUNK#${pad(chunk.index, 6)}`, type: 'chunk', ...chunk } },
    }));
    for (let attempt = 0; requests && requests.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`Could not save the chunk plan of ${jobId}: writes left unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } }));
      requests = UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
    }
  }

  async chunkPlan(jobId: string): Promise<ChunkPlan[]> {
    const chunks: ChunkPlan[] = [];
    for await (const page of this.chunkPlanPages(jobId)) chunks.push(...page);
    return chunks;
  }

  async *chunkPlanPages(jobId: string): AsyncGenerator<ChunkPlan[]> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
        ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':chunk': 'CHUNK#' },
      },
    );
    for await (const page of pages) {
      yield (page.Items ?? []).map((item) => {
        const { index, startByte, endByte, firstLine, lineCount, skipLines, blankLines, batch } = item as ChunkPlan;
        return {
          index,
          startByte,
          endByte,
          firstLine,
          lineCount,
          skipLines,
          ...(blankLines ? { blankLines } : {}),
          ...(batch ? { batch } : {}),
        };
      });
    }
  }

  async listExpired(now: number, limit: number): Promise<Job[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :now',
        ExpressionAttributeValues: { ':pk': 'ACTIVE_JOBS', ':now': pad(now) },
        Limit: limit,
      }),
    );
    const jobs = await Promise.all(Items.map((item) => this.get(String(item.pk).slice('JOB#'.length))));
    return jobs.filter((job): job is Job => job !== undefined && !TERMINAL_STATUSES.includes(job.status) && job.status !== 'cancelling');
  }
}
