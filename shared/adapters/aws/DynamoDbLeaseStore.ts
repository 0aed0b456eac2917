import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LeaseBook, LeaseEntry, LeaseStore, LeaseWriteResult } from '../../batchingCore/LeaseStore';

/** How long a book item outlives its last lease before DynamoDB's TTL removes it (a backend no longer used). */
const BOOK_RETENTION_S = 3_600;

/**
 * The fleet budget's lease books in the platform table: one item per backend
 * (`FLEET#<backendId>`, `LEASES`) holding a `version` and the `leases` map. A write is one
 * `UpdateItem` that sets both, conditioned on the version read (`attribute_not_exists(pk)`
 * for the first; `UpdateItem` rather than `PutItem` so the functions need no permission
 * beyond the `GetItem`/`UpdateItem` they have),
 * so two containers can never both write over the same book; the loser reads the
 * current one (strongly consistent) and applies the rule again. Writes happen per lease
 * (a claim, a renewal every few seconds, a return), never per call. The item carries
 * `ttl`; the leases in it expire by their own `expiresAt`, read by the rule, not by TTL.
 */
export class DynamoDbLeaseStore implements LeaseStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async read(backendId: string): Promise<LeaseBook> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: bookKey(backendId), ConsistentRead: true }));
    return bookOf(Item);
  }

  async write(backendId: string, book: LeaseBook, expectedVersion: number): Promise<LeaseWriteResult> {
    const lastExpiry = Math.max(0, ...Object.values(book.leases).map((entry) => entry.expiresAt));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: bookKey(backendId),
          UpdateExpression: 'SET #type = :type, #version = :version, #leases = :leases, #ttl = :ttl',
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
          ExpressionAttributeNames: { '#type': 'type', '#version': 'version', '#leases': 'leases', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':type': 'fleetLeases',
            ':version': book.version,
            ':leases': book.leases,
            ':ttl': Math.ceil(Math.max(lastExpiry, Date.now()) / 1000) + BOOK_RETENTION_S,
            ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
          },
        }),
      );
      return { written: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { written: false, current: await this.read(backendId) };
    }
  }
}

const bookKey = (backendId: string) => ({ pk: `FLEET#${backendId}`, sk: 'LEASES' });

function bookOf(item: Record<string, unknown> | undefined): LeaseBook {
  if (!item) return { version: 0, leases: {} };
  const leases: Record<string, LeaseEntry> = {};
  for (const [key, value] of Object.entries((item.leases ?? {}) as Record<string, Record<string, unknown>>)) {
    leases[key] = {
      holder: String(value.holder),
      tenant: String(value.tenant ?? ''),
      slots: Number(value.slots ?? 0),
      want: Number(value.want ?? 0),
      ...(value.realtime === undefined ? {} : { realtime: Number(value.realtime) }),
      expiresAt: Number(value.expiresAt ?? 0),
    };
  }
  return { version: Number(item.version ?? 0), leases };
}
