import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FileRecord, FileStore } from '../../batchJobs/job/ports';

const fileKey = (fileId: string) => ({ pk: `FILE#${fileId}`, sk: 'FILE' });
const listKey = (tenantId: string) => `TENANT#${tenantId}#FILES`;
const pad = (seconds: number) => String(seconds).padStart(12, '0');
const sortKey = (file: Pick<FileRecord, 'createdAt' | 'id'>) => `${pad(file.createdAt)}#${file.id}`;
/** The sparse gsi2 partition of files that expire, by when (the sweep reads it oldest first). */
const EXPIRING = 'EXPIRING_FILES';

/**
 * File records in the platform table; a tenant's files listed through gsi1 (by creation
 * time, either way), and files with an `expiresAt` on gsi2 by that time, for the sweep.
 */
export class DynamoDbFileStore implements FileStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(file: FileRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...fileKey(file.id),
          type: 'file',
          ...file,
          gsi1pk: listKey(file.tenantId),
          gsi1sk: sortKey(file),
          ...(file.expiresAt !== undefined ? { gsi2pk: EXPIRING, gsi2sk: `${pad(file.expiresAt)}#${file.id}` } : {}),
        },
      }),
    );
  }

  async get(fileId: string): Promise<FileRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: fileKey(fileId), ConsistentRead: true }));
    return Item?.type === 'file' ? toRecord(Item) : undefined;
  }

  async list(
    tenantId: string,
    page: { after?: string; limit: number; purpose?: FileRecord['purpose']; order?: 'asc' | 'desc' },
  ): Promise<{ files: FileRecord[]; hasMore: boolean }> {
    let startKey: Record<string, unknown> | undefined;
    if (page.after) {
      const after = await this.get(page.after);
      if (after && after.tenantId === tenantId) startKey = { ...fileKey(after.id), gsi1pk: listKey(tenantId), gsi1sk: sortKey(after) };
    }
    // A filter applies after DynamoDB's Limit, so keep reading pages until one more than asked is found.
    const files: FileRecord[] = [];
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(page.purpose ? { FilterExpression: 'purpose = :purpose' } : {}),
          ExpressionAttributeValues: { ':pk': listKey(tenantId), ...(page.purpose ? { ':purpose': page.purpose } : {}) },
          ScanIndexForward: page.order === 'asc',
          Limit: page.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      files.push(...(result.Items ?? []).map(toRecord));
      startKey = result.LastEvaluatedKey;
    } while (startKey && files.length <= page.limit);
    return { files: files.slice(0, page.limit), hasMore: files.length > page.limit };
  }

  async delete(fileId: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: fileKey(fileId), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  async listExpired(now: number, limit: number): Promise<FileRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :now',
        ExpressionAttributeValues: { ':pk': EXPIRING, ':now': pad(now) },
        Limit: limit,
      }),
    );
    // gsi2 projects keys only: read each record.
    const files = await Promise.all(Items.map((item) => this.get(String(item.pk).slice('FILE#'.length))));
    return files.filter((file): file is FileRecord => file !== undefined);
  }

  async confirmUpload(fileId: string, bytes: number, expiresAt: number | undefined): Promise<FileRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fileKey(fileId),
          ConditionExpression: 'attribute_exists(pendingUpload)',
          UpdateExpression:
            expiresAt !== undefined
              ? 'SET #bytes = :bytes, expiresAt = :expiresAt, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk REMOVE pendingUpload'
              : 'SET #bytes = :bytes REMOVE pendingUpload, expiresAt, gsi2pk, gsi2sk',
          ExpressionAttributeNames: { '#bytes': 'bytes' },
          ExpressionAttributeValues: {
            ':bytes': bytes,
            ...(expiresAt !== undefined ? { ':expiresAt': expiresAt, ':gsi2pk': EXPIRING, ':gsi2sk': `${pad(expiresAt)}#${fileId}` } : {}),
          },
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

function toRecord(item: Record<string, unknown>): FileRecord {
  const { id, tenantId, purpose, filename, bytes, createdAt, bucket, key, expiresAt, pendingUpload } = item as unknown as FileRecord;
  return {
    id,
    tenantId,
    purpose,
    filename,
    bytes,
    createdAt,
    bucket,
    key,
    ...(typeof expiresAt === 'number' ? { expiresAt } : {}),
    ...(pendingUpload ? { pendingUpload } : {}),
  };
}
