import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import OpenAI from 'openai';
import { openAiBatchFile } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';

const README = join(__dirname, '..', '..', 'README.md');
const DEFAULT_S3 = 'http://127.0.0.1:4569';

/** The README's first file-drop command: the shell block that starts with "# drop a file locally". */
function readmeDropCommand(): string {
  const readme = readFileSync(README, 'utf8');
  const block = /```sh\n# drop a file locally[^\n]*\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no "# drop a file locally" block');
  return block[1]!.replace(/\\\n\s*/g, ' ').trim();
}

/** Whether the AWS CLI is on the PATH. */
function hasAwsCli(): boolean {
  return spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe("the README's first file-drop example", () => {
  let platform: LocalPlatformProcess;
  let dir: string;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess();
    dir = mkdtempSync(join(tmpdir(), 'readme-drop-'));
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works as written, credentials included, and its batch completes for tenant local', async () => {
    // Prepare: the command as the README has it, with only the endpoint swapped for this platform's.
    const command = readmeDropCommand();
    expect(command).toContain(DEFAULT_S3);
    expect(command).toContain(`s3://${platform.bucket}/inbox/local/requests.jsonl`);
    const { text } = openAiBatchFile(30);
    writeFileSync(join(dir, 'requests.jsonl'), text);
    // No credentials from the environment: the command must carry what it needs.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^AWS_(ACCESS|SECRET|SESSION|PROFILE|REGION|DEFAULT_REGION|CONFIG|SHARED)/.test(name),
      ),
    );
    const isolated = { ...env, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };

    // Act: the AWS CLI runs it verbatim; without the CLI, the SDK does the same PUT with the command's credentials and region.
    if (hasAwsCli()) {
      execFileSync('bash', ['-c', command.replace(DEFAULT_S3, platform.s3)], { cwd: dir, env: isolated, stdio: 'pipe' });
    } else {
      const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(command)![1]!;
      const s3 = new S3Client({
        endpoint: platform.s3,
        forcePathStyle: true,
        region: value('AWS_DEFAULT_REGION'),
        credentials: { accessKeyId: value('AWS_ACCESS_KEY_ID'), secretAccessKey: value('AWS_SECRET_ACCESS_KEY') },
      });
      const [, bucket, key] = /s3:\/\/([^/]+)\/(\S+)/.exec(command)!;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
    }

    // Assess
    const client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    const batch = await waitFor(
      async () => (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.source_key === 'inbox/local/requests.jsonl'),
      (found) => found?.status === 'completed',
    );
    expect(batch!.request_counts).toMatchObject({ total: 30 });
  }, 120_000);
});
