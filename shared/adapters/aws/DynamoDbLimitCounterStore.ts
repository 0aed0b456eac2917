import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CounterDraw, LimitCounterStore } from '../../limits/types';

const DAY_S = 86_400;

/**
 * Rate counters in the platform table. A window's counters are one item per scope and
 * window (`LIMIT#<scope>#<window start>`), holding `requests` and `tokens`; containers
 * draw on them in blocks with one conditional `ADD` each, so the item sees about
 * 1/blockFraction writes per window, whatever the request rate. Items carry `ttl`.
 * Concurrency slots are one item per scope and UTC day (`SLOTS#<scope>#<day>`).
 */
export class DynamoDbLimitCounterStore implements LimitCounterStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async draw(draw: CounterDraw): Promise<{ granted: boolean; total: number }> {
    const Key = { pk: `LIMIT#${draw.scope}#${draw.windowStart}`, sk: 'WINDOW' };
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD #counter :amount SET #ttl = :ttl, #type = :type',
          ConditionExpression: 'attribute_not_exists(#counter) OR #counter <= :most',
          ExpressionAttributeNames: { '#counter': draw.resource, '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: {
            ':amount': draw.amount,
            ':most': draw.limit - draw.amount,
            ':ttl': Math.ceil(draw.expiresAt / 1000),
            ':type': 'rateWindow',
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { granted: true, total: Number(Attributes?.[draw.resource] ?? draw.amount) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
      return { granted: false, total: Number(Item?.[draw.resource] ?? 0) };
    }
  }

  async acquireSlot(scope: string, slotKey: string, limit: number): Promise<{ granted: boolean; inFlight: number }> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: slotsKey(scope, slotKey),
          UpdateExpression: 'ADD inFlight :one SET #ttl = :ttl, #type = :type',
          ConditionExpression: 'attribute_not_exists(inFlight) OR inFlight < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limit,
            ':ttl': Math.ceil(Date.now() / 1000) + 2 * DAY_S,
            ':type': 'concurrencySlots',
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { granted: true, inFlight: Number(Attributes?.inFlight ?? 1) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { granted: false, inFlight: limit };
      throw error;
    }
  }

  async releaseSlot(scope: string, slotKey: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: slotsKey(scope, slotKey),
          UpdateExpression: 'ADD inFlight :minusOne',
          ConditionExpression: 'inFlight > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

const slotsKey = (scope: string, slotKey: string) => ({ pk: `SLOTS#${scope}#${slotKey}`, sk: 'SLOTS' });
