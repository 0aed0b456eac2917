import * as z from 'zod';
import { NotFoundError } from '../errors/requestErrors';
import { issueApiKey, type ApiKeyDirectory, type ApiKeyRecord } from './ApiKeyStore';
import type { RateLimitValues } from '../limits/types';
import { TenantId } from '../domain/tenant';

/** The body of `POST /v1/admin/keys`. */
export const CreateApiKeyRequest = z.strictObject({
  tenant: TenantId,
  name: z.string().max(100, 'must be at most 100 characters').optional(),
  role: z.enum(['admin', 'member']).optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** The query of `GET /v1/admin/keys`. */
export const ListApiKeysQuery = z.object({ tenant: TenantId.optional() });

/** An API key as the admin routes show it: never the key, nor its hash. */
export interface ApiKeyObject {
  object: 'api_key';
  id: string;
  name: string;
  /** The key's first characters, `null` for keys issued before prefixes were kept. */
  prefix: string | null;
  tenant: string;
  role: 'admin' | 'member';
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds, to within five minutes; `null` when never used since uses were recorded. */
  last_used_at: number | null;
  revoked_at: number | null;
  /** The key's own rate limits (`PUT /v1/admin/keys/{id}/limits`); absent while it takes the defaults. */
  limits?: RateLimitValues;
}

const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/** A stored record as {@link ApiKeyObject}. */
export function toApiKeyObject(record: ApiKeyRecord): ApiKeyObject {
  return {
    object: 'api_key',
    id: record.keyId,
    name: record.name,
    prefix: record.prefix ?? null,
    tenant: record.tenantId,
    role: record.role ?? 'member',
    created_at: seconds(record.createdAt) ?? 0,
    last_used_at: seconds(record.lastUsedAt),
    revoked_at: seconds(record.revokedAt),
    ...(record.limits ? { limits: record.limits } : {}),
  };
}

/** The key-management use cases behind `/v1/admin/keys` (admin keys only; the route checks the role). */
export class ApiKeyAdmin {
  constructor(
    private readonly keys: ApiKeyDirectory,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Issues a key; the answer is the only place the key is ever shown. */
  async create(request: CreateApiKeyRequest): Promise<ApiKeyObject & { key: string }> {
    const { key, record } = await issueApiKey(this.keys, {
      tenantId: request.tenant,
      name: request.name ?? '',
      role: request.role ?? 'member',
      now: this.now(),
    });
    return { ...toApiKeyObject(record), key };
  }

  /** Every key (revoked ones too), or a tenant's, oldest first. */
  async list(filter: { tenant?: string } = {}): Promise<{ object: 'list'; data: ApiKeyObject[] }> {
    const records = await this.keys.list(filter.tenant ? { tenantId: filter.tenant } : {});
    return { object: 'list', data: records.map(toApiKeyObject) };
  }

  /** Sets the key's own rate limits (fields left out take the defaults, `null` is no limit); 404 for an unknown id. */
  async setLimits(keyId: string, limits: RateLimitValues): Promise<ApiKeyObject> {
    const record = await this.keys.findById(keyId);
    if (!record) throw new NotFoundError(`No API key has the id '${keyId}'.`, { code: 'api_key_not_found', param: 'id' });
    await this.keys.setLimits(record.keyHash, limits);
    return toApiKeyObject({ ...record, limits });
  }

  /** Revokes the key with id `keyId` (revoking twice keeps the first time); 404 for an unknown id. */
  async revoke(keyId: string): Promise<ApiKeyObject> {
    const record = await this.keys.findById(keyId);
    if (!record) throw new NotFoundError(`No API key has the id '${keyId}'.`, { code: 'api_key_not_found', param: 'id' });
    if (record.revokedAt) return toApiKeyObject(record);
    const at = this.now();
    await this.keys.revoke(record.keyHash, at);
    return toApiKeyObject({ ...record, revokedAt: at.toISOString() });
  }
}
