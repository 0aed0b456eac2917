import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import type { BatchInferenceRecord, BatchInferenceStore, BedrockJobStatus } from '../../batchJobs/batchInference/ports';

const recordKey = (jobId: string, chunkIndex: number) => ({ pk: `JOB#${jobId}`, sk: `BEDROCK#${String(chunkIndex).padStart(6, '0')}` });
const slotPk = (bedrockModel: string) => `BEDROCK_SLOTS#${bedrockModel}`;

/**
 * Bedrock batch chunks in the platform table, beside their job (`JOB#<id>` /
 * `BEDROCK#<chunk>`), and each model's submission slots (`BEDROCK_SLOTS#<model>` /
 * `SLOT#<n>`, an item per slot naming the Bedrock job holding it). Every write is a
 * single conditional write: a state moves once, a slot has one holder.
 */
export class DynamoDbBatchInferenceStore implements BatchInferenceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: BatchInferenceRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...recordKey(record.jobId, record.chunkIndex), type: 'bedrockBatch', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(jobId: string, chunkIndex: number): Promise<BatchInferenceRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: recordKey(jobId, chunkIndex), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async listForJob(jobId: string): Promise<BatchInferenceRecord[]> {
    const records: BatchInferenceRecord[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bedrock)',
        ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':bedrock': 'BEDROCK#' },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) records.push(toRecord(item));
    return records;
  }

  async markSubmitted(jobId: string, chunkIndex: number, jobArn: string, now: Date): Promise<boolean> {
    return this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(jobId, chunkIndex),
        UpdateExpression: 'SET #state = :submitted, jobArn = :arn, submittedAt = :at',
        ConditionExpression: '#state = :waiting',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':submitted': 'submitted', ':waiting': 'waiting', ':arn': jobArn, ':at': seconds(now) },
      }),
    );
  }

  async noteStatus(jobId: string, chunkIndex: number, status: BedrockJobStatus): Promise<void> {
    await this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(jobId, chunkIndex),
        UpdateExpression: 'SET bedrockStatus = :status',
        ConditionExpression: '#state = :submitted',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':status': status, ':submitted': 'submitted' },
      }),
    );
  }

  async settle(
    jobId: string,
    chunkIndex: number,
    outcome: { state: 'done' | 'on_demand'; bedrockStatus?: BedrockJobStatus; usage?: BatchInferenceRecord['usage'] },
    now: Date,
  ): Promise<boolean> {
    const sets = ['#state = :to', 'finishedAt = :at'];
    const values: Record<string, unknown> = { ':to': outcome.state, ':at': seconds(now), ':waiting': 'waiting', ':submitted': 'submitted' };
    if (outcome.bedrockStatus) {
      sets.push('bedrockStatus = :status');
      values[':status'] = outcome.bedrockStatus;
    }
    if (outcome.usage) {
      sets.push('#usage = :usage');
      values[':usage'] = outcome.usage;
    }
    return this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(jobId, chunkIndex),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#state IN (:waiting, :submitted)',
        ExpressionAttributeNames: { '#state': 'state', ...(outcome.usage ? { '#usage': 'usage' } : {}) },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** The taken slots of a model's concurrent Bedrock jobs (one item each, naming its holder). */
  async #slots(bedrockModel: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': slotPk(bedrockModel) },
      }),
    );
    return Items;
  }

  async acquireSlot(bedrockModel: string, jobName: string, max: number): Promise<boolean> {
    const Items = await this.#slots(bedrockModel);
    if (Items.some((item) => item.holder === jobName)) return true;
    const taken = new Set(Items.map((item) => item.sk as string));
    for (let slot = 0; slot < max; slot += 1) {
      const sk = `SLOT#${String(slot).padStart(4, '0')}`;
      if (taken.has(sk)) continue;
      const won = await this.#conditional(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: slotPk(bedrockModel), sk, type: 'bedrockSlot', holder: jobName },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      if (won) return true;
    }
    return false;
  }

  async releaseSlot(bedrockModel: string, jobName: string): Promise<void> {
    const Items = await this.#slots(bedrockModel);
    for (const item of Items.filter((slot) => slot.holder === jobName)) {
      await this.#conditional(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': jobName },
        }),
      );
    }
  }

  /** Sends a conditional write; false when its condition failed. */
  async #conditional(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.client.send(command as never);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function toRecord(item: Record<string, unknown>): BatchInferenceRecord {
  const { pk: _pk, sk: _sk, type: _type, ...record } = item;
  return record as unknown as BatchInferenceRecord;
}
