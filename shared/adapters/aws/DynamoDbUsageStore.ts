import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { daysBetween } from '../../usage/usageDays';
import type { UsageRecord, UsageStore } from '../../usage/types';

/**
 * Usage counters in the platform table: one item per (day, tenant, model), under the
 * day's partition (`USAGE#<day>`, sort key `<tenant>#<model>`), so a day of every tenant
 * is one query and a tenant's day one `begins_with`. Writers add to them atomically
 * (`ADD`), one write per counter per flush or per chunk, which keeps a day's partition
 * far below DynamoDB's per-partition write limit.
 */
export class DynamoDbUsageStore implements UsageStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async add(records: readonly UsageRecord[]): Promise<void> {
    await Promise.all(
      records.map((record) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `USAGE#${record.day}`, sk: `${record.tenantId}#${record.model}` },
            UpdateExpression:
              'SET #type = :type, #day = :day, tenantId = :tenant, model = :model ADD requests :r, inputTokens :i, outputTokens :o',
            ExpressionAttributeNames: { '#type': 'type', '#day': 'day' },
            ExpressionAttributeValues: {
              ':type': 'usage',
              ':day': record.day,
              ':tenant': record.tenantId,
              ':model': record.model,
              ':r': record.requests,
              ':i': record.inputTokens,
              ':o': record.outputTokens,
            },
          }),
        ),
      ),
    );
  }

  async query(range: { from: string; to: string; tenantId?: string }): Promise<UsageRecord[]> {
    const days = daysBetween(range.from, range.to);
    const perDay = await Promise.all(days.map((day) => this.queryDay(day, range.tenantId)));
    return perDay.flat();
  }

  private async queryDay(day: string, tenantId: string | undefined): Promise<UsageRecord[]> {
    const records: UsageRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: tenantId ? 'pk = :pk AND begins_with(sk, :tenant)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `USAGE#${day}`, ...(tenantId ? { ':tenant': `${tenantId}#` } : {}) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        records.push({
          day,
          tenantId: String(item.tenantId),
          model: String(item.model),
          requests: Number(item.requests ?? 0),
          inputTokens: Number(item.inputTokens ?? 0),
          outputTokens: Number(item.outputTokens ?? 0),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }
}
