import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { hashApiKey, issueApiKey, type ApiKeyStore } from '../auth';
import { LocalPlatformError } from './errors';

/**
 * Issues a local key, or finds it already issued (a table kept from an earlier run):
 * the same key for the same tenant is fine, the same key for another tenant is refused
 * rather than silently serving the wrong tenant.
 */
export async function seedApiKey(store: ApiKeyStore, apiKey: { key: string; tenantId: string }): Promise<void> {
  try {
    await issueApiKey(store, { key: apiKey.key, tenantId: apiKey.tenantId, name: `${apiKey.tenantId} (npm start)` });
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await store.findByHash(hashApiKey(apiKey.key));
    if (existing?.tenantId !== apiKey.tenantId) {
      throw new LocalPlatformError(
        `The kept table already has this API key for tenant '${existing?.tenantId}', not '${apiKey.tenantId}': start with --fresh`,
        { code: 'BAD_OPTION' },
      );
    }
  }
}
