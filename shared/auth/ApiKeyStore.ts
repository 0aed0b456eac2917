import { createHash, randomBytes } from 'node:crypto';
import type { RateLimitValues } from '../limits/types';

/** What a key may do: `admin` keys also manage keys and read usage (`/v1/admin/*`). */
export type ApiKeyRole = 'admin' | 'member';

/** An API key as stored: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  /** Hex SHA-256 of the key. API keys are 32 random bytes, so a fast hash is enough. */
  keyHash: string;
  /**
   * Non-secret handle for logs, listings and revoking: `key_<16 hex>` for keys issued
   * now; keys issued before ids existed keep the hash's first 12 characters.
   */
  keyId: string;
  tenantId: string;
  name: string;
  createdAt: string;
  /** Absent on keys issued before roles existed: those are `member` keys. */
  role?: ApiKeyRole;
  /** The key's first characters, shown in listings so a key can be recognised; absent on older keys. */
  prefix?: string;
  /** When the key last authenticated, to within {@link LAST_USED_RESOLUTION_MS}. */
  lastUsedAt?: string;
  revokedAt?: string;
  /** The key's own rate limits (an admin sets them); absent fields take the configured defaults. */
  limits?: RateLimitValues;
}

/** How stale a key's `lastUsedAt` may get before a use writes it again: at most one write per key per this. */
export const LAST_USED_RESOLUTION_MS = 5 * 60_000;

/** Characters of a key kept as its `prefix`: `sk-` and 5 of its 43 random ones (30 of 256 bits). */
export const KEY_PREFIX_LENGTH = 8;

/** Where API keys are kept (the port the authenticator needs; DynamoDB in production and locally). */
export interface ApiKeyStore {
  /** The record for a key hash, or undefined if there is none. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Stores a new record; fails if that hash is already stored. */
  put(record: ApiKeyRecord): Promise<void>;
  /** Marks the key revoked; an unknown hash is a no-op. */
  revoke(keyHash: string, at: Date): Promise<void>;
  /**
   * Sets the key's `lastUsedAt` to `at` unless another use already set it after
   * `staleBefore` (a conditional write, so concurrent containers do not pile up writes).
   */
  recordUse?(keyHash: string, at: Date, staleBefore: Date): Promise<void>;
}

/** What managing keys needs besides the authenticator's port: finding by id and listing. */
export interface ApiKeyDirectory extends ApiKeyStore {
  /** The record whose `keyId` is `keyId`, or undefined. */
  findById(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Every key record (revoked ones too), or a tenant's, oldest first. */
  list(filter?: { tenantId?: string }): Promise<ApiKeyRecord[]>;
  /** Replaces the key's own rate limits; an unknown hash is a no-op. */
  setLimits(keyHash: string, limits: RateLimitValues): Promise<void>;
}

/** The hash under which a key is stored and looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A fresh key id: `key_` and 16 hex characters, unrelated to the key. */
export function newApiKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

/**
 * Issues a key for a tenant: stores only its hash and returns the key, which is shown
 * once and cannot be recovered. Pass `key` to register a known one (the local keys).
 */
/**
 * What `keys list` shows of a key: its first {@link KEY_PREFIX_LENGTH} characters, but
 * never more than a quarter of it, so a short key (a local one such as `sk-local`) is not
 * given away whole by its own prefix or by a longer key that starts with it.
 */
export function keyPrefix(key: string): string {
  return key.slice(0, Math.min(KEY_PREFIX_LENGTH, Math.floor(key.length / 4)));
}

export async function issueApiKey(
  store: ApiKeyStore,
  options: { tenantId: string; name: string; role?: ApiKeyRole; key?: string; now?: Date },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = options.key ?? `sk-${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(key),
    keyId: newApiKeyId(),
    tenantId: options.tenantId,
    name: options.name,
    createdAt: (options.now ?? new Date()).toISOString(),
    role: options.role ?? 'member',
    prefix: keyPrefix(key),
  };
  await store.put(record);
  return { key, record };
}
