import { createHash, randomBytes } from 'node:crypto';

/** An API key as stored: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  /** Hex SHA-256 of the key. API keys are 32 random bytes, so a fast hash is enough. */
  keyHash: string;
  /** Short, non-secret handle for logs and listings (the hash's first 12 characters). */
  keyId: string;
  tenantId: string;
  name: string;
  createdAt: string;
  revokedAt?: string;
}

/** Where API keys are kept (the port; DynamoDB in production and locally). */
export interface ApiKeyStore {
  /** The record for a key hash, or undefined if there is none. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Stores a new record; fails if that hash is already stored. */
  put(record: ApiKeyRecord): Promise<void>;
  /** Marks the key revoked; an unknown hash is a no-op. */
  revoke(keyHash: string, at: Date): Promise<void>;
}

/** The hash under which a key is stored and looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Issues a key for a tenant: stores only its hash and returns the key, which is shown
 * once and cannot be recovered. Pass `key` to register a known one (the local key).
 */
export async function issueApiKey(
  store: ApiKeyStore,
  options: { tenantId: string; name: string; key?: string; now?: Date },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = options.key ?? `sk-${randomBytes(32).toString('base64url')}`;
  const keyHash = hashApiKey(key);
  const record: ApiKeyRecord = {
    keyHash,
    keyId: keyHash.slice(0, 12),
    tenantId: options.tenantId,
    name: options.name,
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  await store.put(record);
  return { key, record };
}
