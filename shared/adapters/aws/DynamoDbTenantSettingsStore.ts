import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type TenantLimitSettings, TenantLimitSettings as TenantLimitSettingsSchema, type TenantSettingsStore } from '../../limits/types';

const WARNING_TTL_S = 40 * 86_400;

/**
 * A tenant's rate limits and budget in the platform table (`TENANT#<tenant>`, sort key
 * `LIMITS`), and the budget warnings already sent (`BUDGET#<month>#<threshold>`, one
 * conditional put each, kept 40 days).
 */
export class DynamoDbTenantSettingsStore implements TenantSettingsStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async get(tenantId: string): Promise<TenantLimitSettings> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `TENANT#${tenantId}`, sk: 'LIMITS' } }));
    if (!Item) return {};
    const parsed = TenantLimitSettingsSchema.safeParse({ limits: Item.limits, budget: Item.budget });
    return parsed.success ? parsed.data : {};
  }

  async put(tenantId: string, settings: TenantLimitSettings): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `TENANT#${tenantId}`, sk: 'LIMITS', type: 'tenantLimits', tenantId, ...settings },
      }),
    );
  }

  async claimBudgetWarning(tenantId: string, month: string, threshold: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `TENANT#${tenantId}`,
            sk: `BUDGET#${month}#${threshold}`,
            type: 'budgetWarning',
            ttl: Math.ceil(Date.now() / 1000) + WARNING_TTL_S,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
