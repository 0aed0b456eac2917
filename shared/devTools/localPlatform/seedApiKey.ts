import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { hashApiKey, issueApiKey, type ApiKeyRole, type ApiKeyStore } from '../../auth/ApiKeyStore';
import { LocalPlatformError } from './errors';

/**
 * Issues a local key, or finds it already issued (a table kept from an earlier run):
 * the same key for the same tenant is fine, the same key for another tenant is refused
 * rather than silently serving the wrong tenant.
 */
export async function seedApiKey(store: ApiKeyStore, apiKey: { key: string; tenantId: string; role?: ApiKeyRole }): Promise<void> {
  const role = apiKey.role ?? 'member';
  try {
    await issueApiKey(store, {
      key: apiKey.key,
      tenantId: apiKey.tenantId,
      role,
      name: `${apiKey.tenantId}${role === 'admin' ? ' admin' : ''} (npm start)`,
    });
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await store.findByHash(hashApiKey(apiKey.key));
    if (existing?.tenantId !== apiKey.tenantId || (existing.role ?? 'member') !== role) {
      throw new LocalPlatformError(
        `The kept table already has this API key for tenant '${existing?.tenantId}' (${existing?.role ?? 'member'}), not '${apiKey.tenantId}' (${role}): start with --fresh`,
        { code: 'BAD_OPTION' },
      );
    }
  }
}
