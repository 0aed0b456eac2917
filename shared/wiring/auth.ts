import { createDocumentClient } from '../adapters/aws/clients';
import { DynamoDbApiKeyStore } from '../adapters/aws/DynamoDbApiKeyStore';
import { type Config, requireTableName } from '../config/config';

/*
 * The wiring of the API-key port to AWS, for the authorizer's (and ingest's tenant
 * check's) module scope. Builds its SDK client once per call: call it once per module.
 */

/** The API keys in the platform table (DynamoDB): the `ApiKeyStore` port, and the tenant directory ingest checks drops against. */
export const createApiKeyStore = (config: Config): DynamoDbApiKeyStore =>
  new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: requireTableName(config) });
