/**
 * Issues the FIRST admin API key of a deployment, straight into its table with the AWS
 * SDK (the admin routes need an admin key, so the first one cannot come through them):
 *
 *   npx tsx scripts/create-admin-key.ts --table inference-platform-prod --tenant ops [--name "ops admin"] [--region eu-west-1]
 *
 * Uses the default AWS credentials chain; needs dynamodb:PutItem on the table. Prints
 * the key once, on stdout (everything else goes to stderr). `--endpoint` points at a
 * local DynamoDB (npm start's, for example).
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore, issueApiKey, TenantId } from '../shared/auth';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      tenant: { type: 'string' },
      name: { type: 'string', default: 'admin (create-admin-key)' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.table || !values.tenant) {
    process.stderr.write(
      'Usage: npx tsx scripts/create-admin-key.ts --table TABLE --tenant TENANT [--name NAME] [--region REGION] [--endpoint URL]\n',
    );
    return values.help ? 0 : 2;
  }
  const tenant = TenantId.safeParse(values.tenant);
  if (!tenant.success) {
    process.stderr.write(`--tenant ${tenant.error.issues[0]?.message}\n`);
    return 2;
  }
  const client = new DynamoDBClient({
    ...(values.region ? { region: values.region } : {}),
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  });
  try {
    const store = new DynamoDbApiKeyStore({ client: DynamoDBDocumentClient.from(client), tableName: values.table });
    const { key, record } = await issueApiKey(store, { tenantId: tenant.data, name: values.name, role: 'admin' });
    process.stderr.write(`Admin key ${record.keyId} issued for tenant ${record.tenantId}. It is shown once:\n`);
    process.stdout.write(`${key}\n`);
    return 0;
  } finally {
    client.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`create-admin-key failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
