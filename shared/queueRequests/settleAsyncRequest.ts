import type { BatchOutputLine } from '../domain/outputLines';
import { failureOfLine } from '../domain/outputLines';
import type { ObjectStore } from '../domain/ports';
import { logger } from '../observability/logger';
import { asyncResultKey, type AsyncSettlement } from './AsyncRequest';
import { INLINE_RESULT_MAX_BYTES } from './constants';
import type { AsyncRequestStore, ResultObjects } from './ports';
import type { AsyncRequestRef } from './QueueRequestMessage';

/** What recording an asynchronous request's outcome needs. */
export interface AsyncResultDeps {
  requests: AsyncRequestStore;
  results: ResultObjects;
}

/**
 * Records the answer to a request made with `POST /v1/requests` where `GET
 * /v1/requests/{id}` finds it: a result small enough in the request's DynamoDB item, a
 * larger one in S3 first (the item must stay under 400 KB), an error as `failed`. The
 * store's write is conditional on the request being still queued and the tenant's, so a
 * second delivery, or a message naming someone else's request, changes nothing.
 */
export async function settleAsyncRequest(
  deps: AsyncResultDeps,
  ref: AsyncRequestRef,
  line: BatchOutputLine,
  settledAt: number,
): Promise<boolean> {
  let settlement: AsyncSettlement;
  const failure = failureOfLine(line);
  if (failure || !line.response) {
    settlement = {
      status: 'failed',
      settledAt,
      error: failure
        ? { code: failure.code, message: failure.message }
        : { code: 'internal_error', message: 'The request produced no response.' },
    };
  } else {
    const json = JSON.stringify(line.response.body);
    if (Buffer.byteLength(json, 'utf8') <= INLINE_RESULT_MAX_BYTES) {
      settlement = { status: 'completed', settledAt, resultJson: json };
    } else {
      const key = asyncResultKey(ref.tenant_id, ref.id);
      // Written before the item names it, so a reader never finds a key without its object.
      await deps.results.write(key, json);
      settlement = { status: 'completed', settledAt, resultKey: key };
    }
  }
  const applied = await deps.requests.settle(ref.id, ref.tenant_id, settlement);
  if (!applied)
    logger.warn("asynchronous request not settled: it is not queued, or not that tenant's", { requestId: ref.id, tenantId: ref.tenant_id });
  return applied;
}

/**
 * Large results as JSON objects in one bucket, through the platform's object store. The
 * consumer writes them (its IAM policy allows PutObject under `requests/*` only) and the
 * asynchronous-request API reads them (GetObject under `requests/*` only).
 */
export function resultObjectsIn(objects: ObjectStore, bucket: string): ResultObjects {
  return {
    write: (key, json) => objects.write(bucket, key, json, { contentType: 'application/json' }),
    read: async (key) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await objects.read(bucket, key)) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
