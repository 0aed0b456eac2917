import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDbApiKeyStore } from '../../../shared/adapters/aws/DynamoDbApiKeyStore';
import { hashApiKey } from '../../../shared/auth/ApiKeyStore';
import { startTestTable } from '../../helpers/localDynamoDb';

/**
 * `scripts/issueApiKey.ts`, run as the README's deployment guide runs it (`npx tsx
 * scripts/issueApiKey.ts --stage … --tenant …`), against the platform table on a local
 * DynamoDB-API server: the SDK's `AWS_ENDPOINT_URL_DYNAMODB` points the script there.
 */

const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SERVICE = 'inference-platform';
const RUN_MS = 60_000;

let table: Awaited<ReturnType<typeof startTestTable>>;
let keys: DynamoDbApiKeyStore;
/** The stage whose table is the test table: the script names it `<service>-<stage>`. */
let stage: string;

beforeAll(async () => {
  table = await startTestTable();
  keys = new DynamoDbApiKeyStore({ client: table.documentClient, tableName: table.tableName });
  stage = table.tableName.slice(`${SERVICE}-`.length);
});

afterAll(async () => {
  await table.close();
});

/** Runs the script with `args`; resolves with its exit code and output, whatever the code. */
async function issue(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
    // Dummy credentials: they only ever reach the local server. The same as the test table's
    // client (createLocalDynamoDbClient): AWS's DynamoDB Local keeps one database per access key and region.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(TSX, [join(ROOT, 'scripts', 'issueApiKey.ts'), ...args], {
      cwd: ROOT,
      env,
      timeout: RUN_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: Number(failed.code ?? 1), stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The key the script printed: the last line of its output. */
const printedKey = (stdout: string) => stdout.trim().split('\n').at(-1)!;

describe('scripts/issueApiKey.ts', () => {
  it(
    'issues a member key for a tenant, prints it once, and stores only its hash, under the name given',
    async () => {
      // Act
      const run = await issue(['--stage', stage, '--tenant', 'acme', '--name', 'acme batch jobs', '--region', 'us-east-1']);

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`API key for tenant acme in ${table.tableName}`);
      const key = printedKey(run.stdout);
      const record = await keys.findByHash(hashApiKey(key));
      expect(record).toMatchObject({ tenantId: 'acme', name: 'acme batch jobs', role: 'member' });
      expect(run.stdout).toContain(`key id ${record!.keyId}`);
      expect(JSON.stringify(await keys.list({ tenantId: 'acme' }))).not.toContain(key);
    },
    RUN_MS,
  );

  it(
    'issues an admin key with --admin, named after the tenant and the day when no name is given',
    async () => {
      // Act
      const run = await issue(['--stage', stage, '--tenant', 'ops', '--admin', '--region', 'us-east-1']);

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Admin key for tenant ops');
      const record = await keys.findByHash(hashApiKey(printedKey(run.stdout)));
      expect(record).toMatchObject({ tenantId: 'ops', role: 'admin' });
      expect(record!.name).toMatch(/^ops \(issued \d{4}-\d\d-\d\d\)$/);
    },
    RUN_MS,
  );

  it.each([[[]], [['--tenant', 'no spaces allowed']], [['--tenant', 'x'.repeat(65)]]])(
    'refuses a missing or bad tenant (%j) with its usage and exit code 2, writing nothing',
    async (tenantArgs) => {
      // Prepare
      const before = (await keys.list()).length;

      // Act
      const run = await issue(['--stage', stage, '--region', 'us-east-1', ...tenantArgs]);

      // Assess
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('usage: npx tsx scripts/issueApiKey.ts --stage <stage> --tenant');
      expect(await keys.list()).toHaveLength(before);
    },
    RUN_MS,
  );

  it(
    "fails with exit code 1 and the reason when the stage's table does not exist",
    async () => {
      // Act
      const run = await issue(['--stage', 'no-such-stage', '--tenant', 'acme', '--region', 'us-east-1']);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^Could not issue the key: .+/m);
      expect(run.stdout).toBe('');
    },
    RUN_MS,
  );
});
