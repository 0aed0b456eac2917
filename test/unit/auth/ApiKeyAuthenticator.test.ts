import { ApiKeyAuthenticator } from '../../../shared/auth/ApiKeyAuthenticator';
import { hashApiKey, issueApiKey } from '../../../shared/auth/ApiKeyStore';
import { createHandler } from '../../../functions/http/authorizer';
import { loadEvent } from '../../helpers/events';
import { MemoryKeyStore } from '../../helpers/memoryPorts';

describe('API keys', () => {
  it('stores only the hash of an issued key', async () => {
    // Prepare
    const store = new MemoryKeyStore();
    // Act
    const { key, record } = await issueApiKey(store, { tenantId: 't1', name: 'ci' });
    // Assess
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(record.keyHash).toBe(hashApiKey(key));
    expect(JSON.stringify([...store.records.values()])).not.toContain(key);
  });

  it('authenticates a live key to its tenant, refuses wrong, missing and malformed ones', async () => {
    const store = new MemoryKeyStore();
    const { record } = await issueApiKey(store, { tenantId: 't1', name: 'a', key: 'sk-one' });
    const auth = new ApiKeyAuthenticator(store, { cacheTtlMs: 0 });
    expect(record.keyId).toMatch(/^key_[0-9a-f]{16}$/);
    expect(await auth.authenticate('Bearer sk-one')).toEqual({ tenantId: 't1', keyId: record.keyId, role: 'member' });
    expect(await auth.authenticate('Bearer sk-two')).toBeUndefined();
    expect(await auth.authenticate(undefined)).toBeUndefined();
    expect(await auth.authenticate('Basic sk-one')).toBeUndefined();
  });

  it('caches verdicts for the TTL, after which a revoked key stops working', async () => {
    // Prepare
    let now = 0;
    const store = new MemoryKeyStore();
    await issueApiKey(store, { tenantId: 't1', name: 'a', key: 'sk-one' });
    const auth = new ApiKeyAuthenticator(store, { cacheTtlMs: 1_000, now: () => now });
    // Act
    await auth.authenticate('Bearer sk-one');
    await store.revoke(hashApiKey('sk-one'), new Date());
    const cached = await auth.authenticate('Bearer sk-one');
    now = 1_000;
    const afterTtl = await auth.authenticate('Bearer sk-one');
    // Assess
    expect(cached?.tenantId).toBe('t1');
    expect(afterTtl).toBeUndefined();
    expect(store.reads).toBe(2);
  });

  it('the REST authorizer allows a known key on the method with the tenant in the context, and denies any other', async () => {
    const store = new MemoryKeyStore();
    const { record } = await issueApiKey(store, { tenantId: 'local', name: 'a', key: 'sk-local', role: 'admin' });
    const handler = createHandler(new ApiKeyAuthenticator(store, { cacheTtlMs: 0 }));
    const event = loadEvent('http/authorizer.json');
    const policy = (effect: string) => ({
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.methodArn }],
    });
    expect(await handler(event)).toEqual({
      principalId: 'local',
      policyDocument: policy('Allow'),
      context: { tenantId: 'local', keyId: record.keyId, role: 'admin' },
    });
    // A REST API passes header names as the client cased them.
    event.headers = { Authorization: 'Bearer sk-local' };
    expect((await handler(event)).policyDocument).toEqual(policy('Allow'));
    event.headers = { authorization: 'Bearer wrong' };
    expect(await handler(event)).toEqual({ principalId: 'anonymous', policyDocument: policy('Deny'), context: {} });
    event.headers = {};
    expect((await handler(event)).policyDocument).toEqual(policy('Deny'));
  });
});
