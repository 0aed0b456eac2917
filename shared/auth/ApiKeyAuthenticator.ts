import { hashApiKey, type ApiKeyStore } from './ApiKeyStore';

/** Who a valid key belongs to. */
export interface Principal {
  tenantId: string;
  keyId: string;
}

/**
 * Checks `Authorization: Bearer <key>` against the key store. Verdicts are cached in
 * memory for `cacheTtlMs` (per warm Lambda), so a burst of requests costs one read;
 * that is also the longest a revoked key keeps working.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly options: { cacheTtlMs: number; now?: () => number; maxCacheEntries?: number },
  ) {}

  /** The principal for an Authorization header value, or undefined when it is missing or not a live key. */
  async authenticate(authorization: string | undefined): Promise<Principal | undefined> {
    const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!key) return undefined;
    const keyHash = hashApiKey(key);
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(keyHash);
    if (cached && cached.expiresAt > now) return cached.principal;

    const record = await this.store.findByHash(keyHash);
    const principal = record && !record.revokedAt ? { tenantId: record.tenantId, keyId: record.keyId } : undefined;
    if (this.options.cacheTtlMs > 0) {
      // A bounded cache: a flood of random keys must not grow memory without limit.
      if (this.cache.size >= (this.options.maxCacheEntries ?? 10_000)) this.cache.clear();
      this.cache.set(keyHash, { principal, expiresAt: now + this.options.cacheTtlMs });
    }
    return principal;
  }
}
