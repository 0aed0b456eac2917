import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IDEMPOTENCY_EXPIRY_SECONDS } from '../../queueRequests/constants';
import type { IdempotencyClaim, IdempotencyStore } from '../../queueRequests/ports';

/** Options of {@link PowertoolsIdempotencyStore}. */
export interface PowertoolsIdempotencyStoreOptions {
  tableName: string;
  /** Defaults to a client built from the SDK's own configuration. */
  client?: DynamoDBClient;
  /** How long an answered request is remembered. Default {@link IDEMPOTENCY_EXPIRY_SECONDS}. */
  expiresAfterSeconds?: number;
}

/** The partition every record of the queue entry lives in (the persistence layer's static pk). */
export const IDEMPOTENCY_PARTITION = 'IDEMPOTENCY#queue-requests';

/**
 * The idempotency records of the queue entry, kept by Powertools' DynamoDB persistence
 * layer in the platform's single table: `pk` is a static partition, `sk` the hashed key,
 * `ttl` the table's TTL attribute. Powertools' own `makeIdempotent` wraps one call per
 * record; the consumer must claim all the records of a batch, run them through the core
 * together, and only then send, so it drives the persistence layer's steps itself, in the
 * order `makeIdempotent` uses: a conditional put of an in-progress record with a lock
 * (`saveInProgress`), the work, then `saveSuccess` — or `deleteRecord` when it failed.
 * Each is one single-item write (no transactions), which dynalite serves as DynamoDB does.
 */
export class PowertoolsIdempotencyStore implements IdempotencyStore {
  private readonly persistence: DynamoDBPersistenceLayer;

  constructor(options: PowertoolsIdempotencyStoreOptions) {
    this.persistence = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      staticPkValue: IDEMPOTENCY_PARTITION,
      expiryAttr: 'ttl',
      awsSdkV3Client: options.client ?? new DynamoDBClient({}),
    });
    // A fixed key prefix (not the function's name, the default) keeps keys stable across deployments.
    this.persistence.configure({
      config: new IdempotencyConfig({
        hashFunction: 'sha256',
        expiresAfterSeconds: options.expiresAfterSeconds ?? IDEMPOTENCY_EXPIRY_SECONDS,
      }),
      keyPrefix: 'queue-request',
    });
  }

  async claim(key: string, lockUntilMs: number): Promise<IdempotencyClaim> {
    // Twice at most: a record found and then gone was released meanwhile, so try again once.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.persistence.saveInProgress({ key }, Math.max(1, lockUntilMs - Date.now()));
        return 'acquired';
      } catch (error) {
        if (!(error instanceof IdempotencyItemAlreadyExistsError)) throw error;
        // DynamoDB returns the record that failed the condition; dynalite does not, so read it.
        const record = error.existingRecord ?? (await this.read(key));
        if (!record) continue;
        return record.getStatus() === IdempotencyRecordStatus.COMPLETED ? 'completed' : 'in_progress';
      }
    }
    return 'in_progress';
  }

  async complete(key: string): Promise<void> {
    await this.persistence.saveSuccess({ key }, { answered: true });
  }

  async release(key: string): Promise<void> {
    await this.persistence.deleteRecord({ key });
  }

  private async read(key: string) {
    try {
      return await this.persistence.getRecord({ key });
    } catch (error) {
      if (error instanceof IdempotencyItemNotFoundError) return undefined;
      throw error;
    }
  }
}
