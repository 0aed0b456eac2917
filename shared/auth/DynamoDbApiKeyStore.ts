import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyStore } from './ApiKeyStore';

const keyOf = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });
/** The index partition of a tenant's keys (gsi1): what tells a known tenant. */
const tenantKeys = (tenantId: string) => `TENANT#${tenantId}#APIKEYS`;

/**
 * API keys in the platform table, one item per key hash, each also indexed by its tenant
 * (gsi1), so a tenant is known when one key record names it ({@link isKnownTenant}).
 */
export class DynamoDbApiKeyStore implements ApiKeyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keyOf(keyHash), ConsistentRead: true }));
    if (!Item) return undefined;
    const { keyId, tenantId, name, createdAt, revokedAt } = Item as Record<string, string>;
    return { keyHash, keyId: keyId!, tenantId: tenantId!, name: name!, createdAt: createdAt!, ...(revokedAt ? { revokedAt } : {}) };
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
}
