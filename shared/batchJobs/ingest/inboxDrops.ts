import type { ObjectStore } from '../../domain/ports';
import { tenantOfInboxKey } from '../../sqsEvents/s3Notification';

/** Whether a tenant exists: one API key record names it (port; the API key table in production). */
export interface TenantDirectory {
  isKnownTenant(tenantId: string): Promise<boolean>;
}

/** Why a dropped object is not made into a job. */
export type DropRefusalCode = 'invalid_key' | 'unknown_tenant';

/** The verdict on an object dropped in the inbox. */
export type DropVerdict = { ok: true; tenantId: string } | { ok: false; code: DropRefusalCode; message: string; tenantId?: string };

/** Where the record of a refused drop is written: one flat object per key, the key percent-encoded. */
export const REFUSED_DROPS_PREFIX = 'inbox-refused/';

/**
 * Checks a dropped object's key before anything reads it. S3 keys are literal: a key
 * with a `.` or `..` segment (`inbox/acme/../other/f.jsonl`) is a different object from
 * the path it resembles, and a tool that normalises paths would file it elsewhere, so it
 * is refused (`invalid_key`), as a key with no tenant segment is. A tenant no API key
 * names (`tenants`) is refused too (`unknown_tenant`): nobody could read the job, and no
 * backend is called for it.
 */
export async function checkInboxDrop(key: string, tenants: TenantDirectory | undefined): Promise<DropVerdict> {
  const tenantId = tenantOfInboxKey(key);
  if (!tenantId) {
    // A file put straight under inbox/ (or under a segment that is no tenant name) belongs to nobody.
    return {
      ok: false,
      code: 'invalid_key',
      message:
        'The key names no tenant: drop files under inbox/<tenant>/, the tenant of your API key (for example inbox/acme/requests.jsonl).',
    };
  }
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    return {
      ok: false,
      code: 'invalid_key',
      tenantId,
      message: "The key has a '.' or '..' segment; S3 keys are taken literally, so such a key is refused.",
    };
  }
  if (tenants && !(await tenants.isKnownTenant(tenantId))) {
    return {
      ok: false,
      code: 'unknown_tenant',
      tenantId,
      message: `No API key names the tenant '${tenantId}'; drop files under inbox/<your tenant>/.`,
    };
  }
  return { ok: true, tenantId };
}

/** The key of the record of a refused drop: `inbox-refused/<key, percent-encoded>.json`. */
export function refusedDropKey(key: string): string {
  return `${REFUSED_DROPS_PREFIX}${encodeURIComponent(key)}.json`;
}

/**
 * Writes the record the bucket owner finds a refused drop by, next to the inbox:
 * `inbox-refused/<key, percent-encoded>.json` with the key, its ETag, the code and why.
 * The object itself is left where it is.
 */
export async function recordRefusedDrop(
  objects: Pick<ObjectStore, 'write'>,
  drop: { bucket: string; key: string; etag: string },
  refusal: Extract<DropVerdict, { ok: false }>,
  now: Date = new Date(),
): Promise<string> {
  const recordKey = refusedDropKey(drop.key);
  const record = {
    key: drop.key,
    etag: drop.etag,
    code: refusal.code,
    message: refusal.message,
    refused_at: Math.floor(now.getTime() / 1000),
  };
  await objects.write(drop.bucket, recordKey, `${JSON.stringify(record)}\n`, { contentType: 'application/json' });
  return recordKey;
}
