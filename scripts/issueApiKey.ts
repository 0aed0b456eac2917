/**
 * Issues an API key for a tenant in a deployed stage's table and prints it once (only its
 * hash is stored):
 *
 *   npx tsx scripts/issueApiKey.ts --stage dev --tenant acme [--name "acme batch jobs"] [--region us-east-1] [--admin]
 *
 * `--admin` issues an admin key (it may also manage keys and read usage, `/v1/admin/*`):
 * how a deployment gets its first one; the others come from `infer keys create`.
 * Uses the AWS credentials of the shell (the same as `npx osls deploy`).
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApiKeyStore } from '../shared/adapters/aws/DynamoDbApiKeyStore';
import { issueApiKey } from '../shared/auth/ApiKeyStore';
import { createDocumentClient } from '../shared/adapters/aws/clients';

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    tenant: { type: 'string' },
    name: { type: 'string' },
    region: { type: 'string' },
    service: { type: 'string', default: 'inference-platform' },
    admin: { type: 'boolean', default: false },
  },
});
if (!values.tenant || !/^[A-Za-z0-9_-]{1,64}$/.test(values.tenant)) {
  console.error(
    'usage: npx tsx scripts/issueApiKey.ts --stage <stage> --tenant <letters, digits, - or _> [--name <label>] [--region <region>] [--admin]',
  );
  process.exit(2);
}
const tenantId = values.tenant;
const tableName = `${values.service}-${values.stage}`;
const client = createDocumentClient(new DynamoDBClient(values.region ? { region: values.region } : {}));
issueApiKey(new DynamoDbApiKeyStore({ client, tableName }), {
  tenantId,
  name: values.name ?? `${tenantId} (issued ${new Date().toISOString().slice(0, 10)})`,
  role: values.admin ? 'admin' : 'member',
}).then(
  ({ key, record }) =>
    console.log(
      `${values.admin ? 'Admin key' : 'API key'} for tenant ${record.tenantId} in ${tableName} (key id ${record.keyId}; shown once):\n${key}`,
    ),
  (error: unknown) => {
    console.error(`Could not issue the key: ${(error as Error).message}`);
    process.exit(1);
  },
);
