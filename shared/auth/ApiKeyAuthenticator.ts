import type { RateLimitValues } from '../limits/types';
import { hashApiKey, LAST_USED_RESOLUTION_MS, type ApiKeyRecord, type ApiKeyRole, type ApiKeyStore } from './ApiKeyStore';

/** Who a valid key belongs to, and what it may do. */
export interface Principal {
  tenantId: string;
  keyId: string;
  role: ApiKeyRole;
  /** The key's own rate limits, if an admin set any. */
  limits?: RateLimitValues;
}

/** How the authenticator caches and records use. */
export interface ApiKeyAuthenticatorOptions {
  /** How long a verdict is trusted (per warm Lambda): also the longest a revoked key keeps working. */
  cacheTtlMs: number;
  now?: () => number;
  maxCacheEntries?: number;
  /** A key's `lastUsedAt` is written again once it is older than this (default 5 minutes). */
  lastUsedResolutionMs?: number;
  /** Told when recording a use failed (the request is still let in: last use is advisory). */
  onRecordUseError?: (error: unknown) => void;
}

/**
 * Checks `Authorization: Bearer <key>` against the key store. Verdicts are cached in
 * memory for `cacheTtlMs` (per warm Lambda), so a burst of requests costs one read;
 * that is also the longest a revoked key keeps working. A key's last use is written at
 * most once per `lastUsedResolutionMs`, and only on a read (never on a cached verdict).
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly options: ApiKeyAuthenticatorOptions,
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
    const live = record && !record.revokedAt ? record : undefined;
    const principal: Principal | undefined = live
      ? { tenantId: live.tenantId, keyId: live.keyId, role: live.role ?? 'member', ...(live.limits ? { limits: live.limits } : {}) }
      : undefined;
    if (this.options.cacheTtlMs > 0) {
      // A bounded cache: a flood of random keys must not grow memory without limit.
      if (this.cache.size >= (this.options.maxCacheEntries ?? 10_000)) this.cache.clear();
      this.cache.set(keyHash, { principal, expiresAt: now + this.options.cacheTtlMs });
    }
    if (live) await this.recordUse(live, now);
    return principal;
  }

  private async recordUse(record: ApiKeyRecord, now: number): Promise<void> {
    const staleBefore = now - (this.options.lastUsedResolutionMs ?? LAST_USED_RESOLUTION_MS);
    if (!this.store.recordUse || (record.lastUsedAt && Date.parse(record.lastUsedAt) > staleBefore)) return;
    try {
      await this.store.recordUse(record.keyHash, new Date(now), new Date(staleBefore));
    } catch (error) {
      this.options.onRecordUseError?.(error);
    }
  }
}
