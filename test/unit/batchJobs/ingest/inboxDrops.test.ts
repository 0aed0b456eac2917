import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../../../functions/sqs/ingest';
import { checkInboxDrop, refusedDropKey, type TenantDirectory } from '../../../../shared/batchJobs/ingest/inboxDrops';
import { logger } from '../../../../shared/observability/logger';
import { lambdaContext, s3DropNotification, sqsEvent, sqsRecord } from '../../../helpers/events';
import { BUCKET, ingestWorld } from './ingestFixtures';

const LINE = '{"custom_id": "r1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "bge-m3", "input": "x"}}\n';

/** Tenants with a key record: only `tenant-1`. */
const tenants: TenantDirectory = { isKnownTenant: async (tenantId) => tenantId === 'tenant-1' };

/** The ingest queue's event for an ObjectCreated notification of `key` (encoded as S3 encodes keys). */
function dropEvent(key: string, etag: string): SQSEvent {
  return sqsEvent(sqsRecord('m-1', s3DropNotification(BUCKET, key, etag)));
}

describe('inbox drops: literal keys under known tenants', () => {
  it.each([
    ['inbox/tenant-1/../tenant-2/f.jsonl', 'invalid_key'],
    ['inbox/tenant-1/./f.jsonl', 'invalid_key'],
    ['inbox/tenant-1/sub/../f.jsonl', 'invalid_key'],
    ['inbox/f.jsonl', 'invalid_key'],
    ['inbox/stranger/f.jsonl', 'unknown_tenant'],
  ])('refuses %s (%s)', async (key, code) => {
    expect(await checkInboxDrop(key, tenants)).toMatchObject({ ok: false, code });
  });

  it('admits a literal key under a known tenant, dots inside names included', async () => {
    expect(await checkInboxDrop('inbox/tenant-1/v1..2/my.file.jsonl', tenants)).toEqual({ ok: true, tenantId: 'tenant-1' });
  });

  it.each([
    ['a file directly under inbox/ (no tenant segment)', 'inbox/f.jsonl', 'invalid_key'],
    ['a key with a .. segment', 'inbox/tenant-1/../tenant-1/f.jsonl', 'invalid_key'],
    ['a tenant no API key names', 'inbox/stranger/f.jsonl', 'unknown_tenant'],
  ])('ingest refuses %s: no job, nothing sent to a worker, a record under inbox-refused/', async (_name, key, code) => {
    // Prepare
    const world = ingestWorld();
    const drop = await world.drop(key, LINE);
    const handler = createHandler({ ...world.deps, tenants });
    const warn = jest.spyOn(logger, 'warn');

    // Act
    const result = await handler(dropEvent(key, drop.etag), lambdaContext());

    // Assess
    expect(warn).toHaveBeenCalledWith('dropped file refused', expect.objectContaining({ key, code, recordKey: refusedDropKey(key) }));
    warn.mockRestore();
    expect(result).toEqual({ batchItemFailures: [] });
    expect(world.jobs.jobs.size).toBe(0);
    expect(world.chunks.sent).toEqual([]);
    const record = JSON.parse(world.objects.text(BUCKET, refusedDropKey(key))!);
    expect(record).toMatchObject({ key, etag: drop.etag, code, message: expect.any(String) });
  });

  it('ingest runs a drop under a known tenant as before', async () => {
    // Prepare
    const world = ingestWorld();
    const key = 'inbox/tenant-1/f.jsonl';
    const drop = await world.drop(key, LINE);
    const handler = createHandler({ ...world.deps, tenants });

    // Act
    await handler(dropEvent(key, drop.etag), lambdaContext());

    // Assess
    expect(world.jobs.jobs.size).toBe(1);
    expect(world.objects.text(BUCKET, refusedDropKey(key))).toBeUndefined();
  });
});
