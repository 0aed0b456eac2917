import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UploadPartRecord, UploadRecord, UploadStore } from '../../batchJobs/api/UploadStore';

const uploadKey = (uploadId: string) => ({ pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' });
/** How long a record outlives its upload's hour (DynamoDB TTL): nothing reads it after, it only answers late calls. */
const KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600;

/**
 * Upload records in the platform table, one item per upload with its parts in a map
 * (OpenAI's 8 GB in parts of at most 4.5 MB is under 2,000 entries, well within an
 * item's 400 KB). Every change is conditional on `pending`, so a part never lands on a
 * completed or cancelled upload and only one complete or cancel wins.
 */
export class DynamoDbUploadStore implements UploadStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(upload: UploadRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...uploadKey(upload.id), type: 'upload', ...upload, ttl: upload.expiresAt + KEEP_AFTER_EXPIRY_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(uploadId: string): Promise<UploadRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: uploadKey(uploadId), ConsistentRead: true }));
    return Item?.type === 'upload' ? toRecord(Item) : undefined;
  }

  async addPart(uploadId: string, part: UploadPartRecord, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: uploadKey(uploadId),
          UpdateExpression: 'SET parts.#part = :part',
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expiresAt > :now',
          ExpressionAttributeNames: { '#part': part.id, '#status': 'status' },
          ExpressionAttributeValues: { ':part': part, ':pending': 'pending', ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async finish(uploadId: string, to: 'completed' | 'cancelled', fileId?: string): Promise<UploadRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: uploadKey(uploadId),
          UpdateExpression: fileId ? 'SET #status = :to, fileId = :fileId' : 'SET #status = :to',
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': to, ':pending': 'pending', ...(fileId ? { ':fileId': fileId } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRecord(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

function toRecord(item: Record<string, unknown>): UploadRecord {
  const { pk: _pk, sk: _sk, type: _type, ttl: _ttl, ...rest } = item;
  return rest as unknown as UploadRecord;
}
