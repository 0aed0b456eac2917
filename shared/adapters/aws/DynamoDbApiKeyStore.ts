import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyDirectory, ApiKeyRecord, ApiKeyRole } from '../../auth/ApiKeyStore';
import { RateLimitValues } from '../../limits/types';

const KEY_SK = 'APIKEY';
const keyOf = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: KEY_SK });
/** The index partition of a tenant's keys (gsi1): what tells a known tenant. */
const tenantKeys = (tenantId: string) => `TENANT#${tenantId}#APIKEYS`;

/**
 * API keys in the platform table, one item per key hash, each also indexed by its tenant
 * (gsi1), so a tenant is known when one key record names it ({@link isKnownTenant}).
 *
 * Listing and finding a key by id scan the table for key items (`sk = APIKEY`): keys
 * issued before ids and the tenant index existed carry neither index attribute, and a
 * scan finds them all. Both are admin commands run by a person, not per request.
 */
export class DynamoDbApiKeyStore implements ApiKeyDirectory {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keyOf(keyHash), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(record.keyHash),
          type: 'apiKey',
          ...record,
          gsi1pk: tenantKeys(record.tenantId),
          gsi1sk: `${record.createdAt}#${record.keyId}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Whether any key record (revoked or not) names `tenantId`: the tenants the platform knows. */
  async isKnownTenant(tenantId: string): Promise<boolean> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        Limit: 1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': tenantKeys(tenantId) },
      }),
    );
    return Items.length > 0;
  }

  async revoke(keyHash: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(keyHash),
          UpdateExpression: 'SET revokedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordUse(keyHash: string, at: Date, staleBefore: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(keyHash),
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':stale': staleBefore.toISOString() },
        }),
      );
    } catch (error) {
      // Another container recorded a use since: nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async setLimits(keyHash: string, limits: RateLimitValues): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(keyHash),
          UpdateExpression: 'SET limits = :limits',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':limits': limits },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async findById(keyId: string): Promise<ApiKeyRecord | undefined> {
    const [found] = await this.scanKeys('keyId = :id', { ':id': keyId });
    return found;
  }

  async list(filter: { tenantId?: string } = {}): Promise<ApiKeyRecord[]> {
    const records = filter.tenantId ? await this.scanKeys('tenantId = :t', { ':t': filter.tenantId }) : await this.scanKeys();
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  }

  /** Every key item matching `condition`, through all pages of a scan. */
  private async scanKeys(condition?: string, values: Record<string, unknown> = {}): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: `sk = :sk AND begins_with(pk, :pk)${condition ? ` AND ${condition}` : ''}`,
          ExpressionAttributeValues: { ':sk': KEY_SK, ':pk': 'APIKEY#', ...values },
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).map(fromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }
}

function fromItem(item: Record<string, unknown>): ApiKeyRecord {
  const { pk, keyId, tenantId, name, createdAt, role, prefix, lastUsedAt, revokedAt } = item as Record<string, string | undefined>;
  const limits = RateLimitValues.safeParse(item.limits);
  return {
    keyHash: (pk ?? '').slice('APIKEY#'.length),
    keyId: keyId!,
    tenantId: tenantId!,
    name: name ?? '',
    createdAt: createdAt!,
    ...(role ? { role: role as ApiKeyRole } : {}),
    ...(prefix ? { prefix } : {}),
    ...(lastUsedAt ? { lastUsedAt } : {}),
    ...(revokedAt ? { revokedAt } : {}),
    ...(item.limits !== undefined && limits.success ? { limits: limits.data } : {}),
  };
}
