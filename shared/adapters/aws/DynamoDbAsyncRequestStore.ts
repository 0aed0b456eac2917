import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AsyncRequest, AsyncSettlement } from '../../queueRequests/AsyncRequest';
import type { AsyncRequestStore } from '../../queueRequests/ports';

const requestKey = (requestId: string) => ({ pk: `REQUEST#${requestId}`, sk: 'REQUEST' });
const ITEM_TYPE = 'async_request';
/** The index partition of a tenant's requests (gsi1), newest last by creation time. */
const listKey = (tenantId: string) => `TENANT#${tenantId}#REQUESTS`;
const sortKey = (request: Pick<AsyncRequest, 'createdAt' | 'id'>) => `${String(request.createdAt).padStart(12, '0')}#${request.id}`;

function fromItem(item: Record<string, unknown>): AsyncRequest {
  const { pk: _pk, sk: _sk, type: _type, ttl: _ttl, gsi1pk: _g1, gsi1sk: _g1s, ...request } = item;
  return request as unknown as AsyncRequest;
}

/**
 * Asynchronous requests in the platform table, one item each (`REQUEST#<id>` / `REQUEST`),
 * gone after `expiresAt` (copied to `ttl`, the table's TTL attribute). Settling is one conditional update
 * (still queued, and the tenant's), so it happens once whatever redelivers. A tenant's
 * requests are listed newest first through gsi1 (`TENANT#<tenant>#REQUESTS`).
 */
export class DynamoDbAsyncRequestStore implements AsyncRequestStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(request: AsyncRequest): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...requestKey(request.id),
            type: ITEM_TYPE,
            ...request,
            ttl: request.expiresAt,
            gsi1pk: listKey(request.tenantId),
            gsi1sk: sortKey(request),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new Error(`A request with the new id ${request.id} exists already.`, { cause: error });
      throw error;
    }
  }

  async get(requestId: string): Promise<AsyncRequest | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: requestKey(requestId), ConsistentRead: true }),
    );
    return Item?.type === ITEM_TYPE ? fromItem(Item) : undefined;
  }

  async list(tenantId: string, page: { after?: string; limit: number }): Promise<{ requests: AsyncRequest[]; hasMore: boolean }> {
    let startKey: Record<string, unknown> | undefined;
    if (page.after) {
      const after = await this.get(page.after);
      if (after && after.tenantId === tenantId) startKey = { ...requestKey(after.id), gsi1pk: listKey(tenantId), gsi1sk: sortKey(after) };
    }
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': listKey(tenantId) },
        ScanIndexForward: false,
        Limit: page.limit + 1,
        ExclusiveStartKey: startKey,
      }),
    );
    const requests = Items.map(fromItem);
    return { requests: requests.slice(0, page.limit), hasMore: requests.length > page.limit };
  }

  async settle(requestId: string, tenantId: string, settlement: AsyncSettlement): Promise<boolean> {
    const { status, settledAt, ...fields } = settlement;
    const names: Record<string, string> = { '#status': 'status', '#tenant': 'tenantId', '#at': 'settledAt' };
    const values: Record<string, unknown> = { ':to': status, ':at': settledAt, ':queued': 'queued', ':tenant': tenantId };
    const sets = ['#status = :to', '#at = :at'];
    Object.entries(fields).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(requestId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND #status = :queued AND #tenant = :tenant',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
