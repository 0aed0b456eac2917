import { ApiKeyAdmin } from '../../../shared/auth/ApiKeyAdmin';
import { ApiKeyAuthenticator } from '../../../shared/auth/ApiKeyAuthenticator';
import { hashApiKey, type ApiKeyDirectory, type ApiKeyRecord } from '../../../shared/auth/ApiKeyStore';
import { parseByteRange } from '../../../shared/batchJobs/api/byteRange';

/** An in-memory key directory counting last-use writes. */
class MemoryKeyDirectory implements ApiKeyDirectory {
  readonly records = new Map<string, ApiKeyRecord>();
  useWrites = 0;
  async findByHash(keyHash: string) {
    return this.records.get(keyHash);
  }
  async put(record: ApiKeyRecord) {
    this.records.set(record.keyHash, { ...record });
  }
  async revoke(keyHash: string, at: Date) {
    const record = this.records.get(keyHash);
    if (record) record.revokedAt = at.toISOString();
  }
  async recordUse(keyHash: string, at: Date) {
    this.useWrites += 1;
    const record = this.records.get(keyHash);
    if (record) record.lastUsedAt = at.toISOString();
  }
  async findById(keyId: string) {
    return [...this.records.values()].find((record) => record.keyId === keyId);
  }
  async list(filter: { tenantId?: string } = {}) {
    return [...this.records.values()].filter((record) => !filter.tenantId || record.tenantId === filter.tenantId);
  }
  async setLimits(keyHash: string, limits: ApiKeyRecord['limits']) {
    const record = this.records.get(keyHash);
    if (record) record.limits = limits;
  }
}

const NOW = new Date('2026-12-03T12:00:00Z');

describe('ApiKeyAdmin', () => {
  it('creates a key shown once, lists it by id and prefix without the key or its hash, revokes it by id', async () => {
    // Prepare
    const keys = new MemoryKeyDirectory();
    const admin = new ApiKeyAdmin(keys, () => NOW);
    // Act
    const created = await admin.create({ tenant: 'acme', name: 'ci', role: 'admin' });
    const listed = await admin.list({ tenant: 'acme' });
    const revoked = await admin.revoke(created.id);
    // Assess
    expect(created).toMatchObject({ object: 'api_key', tenant: 'acme', name: 'ci', role: 'admin', created_at: NOW.getTime() / 1000 });
    expect(created.prefix).toBe(created.key.slice(0, 8));
    expect(listed.data).toEqual([{ ...created, key: undefined, revoked_at: null }].map(({ key: _k, ...rest }) => rest));
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toContain(hashApiKey(created.key));
    expect(revoked.revoked_at).toBe(NOW.getTime() / 1000);
    expect(keys.records.get(hashApiKey(created.key))?.revokedAt).toBe(NOW.toISOString());
    await expect(admin.revoke('key_unknown')).rejects.toMatchObject({ status: 404, code: 'api_key_not_found' });
  });

  it('shows a key issued before ids, roles and prefixes existed as a member key without a prefix', async () => {
    const keys = new MemoryKeyDirectory();
    await keys.put({ keyHash: 'abc', keyId: 'abc123456789', tenantId: 'old', name: 'legacy', createdAt: '2026-01-01T00:00:00.000Z' });
    const [old] = (await new ApiKeyAdmin(keys).list()).data;
    expect(old).toMatchObject({ id: 'abc123456789', role: 'member', prefix: null, last_used_at: null });
  });

  it('records a key’s last use at most once per resolution, and answers its role', async () => {
    // Prepare
    let now = NOW.getTime();
    const keys = new MemoryKeyDirectory();
    const { key } = await new ApiKeyAdmin(keys).create({ tenant: 'acme', role: 'admin' });
    const auth = new ApiKeyAuthenticator(keys, { cacheTtlMs: 0, now: () => now, lastUsedResolutionMs: 300_000 });
    // Act
    const principal = await auth.authenticate(`Bearer ${key}`);
    now += 60_000;
    await auth.authenticate(`Bearer ${key}`);
    now += 300_000;
    await auth.authenticate(`Bearer ${key}`);
    // Assess
    expect(principal).toMatchObject({ tenantId: 'acme', role: 'admin' });
    expect(keys.useWrites).toBe(2);
  });
});

describe('parseByteRange', () => {
  it('reads one bytes range, clamps its end, and ignores what it does not serve', () => {
    expect(parseByteRange('bytes=0-99', 1_000, 500)).toEqual({ start: 0, end: 99, size: 1_000 });
    expect(parseByteRange('bytes=900-', 1_000, 500)).toEqual({ start: 900, end: 999, size: 1_000 });
    expect(parseByteRange('bytes=-100', 1_000, 500)).toEqual({ start: 900, end: 999, size: 1_000 });
    expect(parseByteRange('bytes=950-2000', 1_000, 500)).toEqual({ start: 950, end: 999, size: 1_000 });
    expect(parseByteRange(undefined, 1_000, 500)).toBeUndefined();
    expect(parseByteRange('bytes=0-1,5-9', 1_000, 500)).toBeUndefined();
    expect(parseByteRange('items=0-1', 1_000, 500)).toBeUndefined();
  });

  it('refuses a range past the end (416) and one over the response limit (413)', () => {
    expect(() => parseByteRange('bytes=1000-', 1_000, 500)).toThrow(expect.objectContaining({ status: 416 }));
    expect(() => parseByteRange('bytes=0-600', 1_000, 500)).toThrow(expect.objectContaining({ status: 413 }));
  });
});
