import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../../../helpers/localPlatform';
import { s3ClientFor } from './standIns';

/** `npm start` keeps the table and the bucket in its data directory; `--fresh` empties it. */
describe('local state survives a restart', () => {
  let dataDir: string;
  let platform: LocalPlatformProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-data-'));
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (args: string[] = []) => {
    platform = await startLocalPlatformProcess({ LOCAL_DATA_DIR: dataDir }, { args });
    return platform;
  };
  const uploadFile = async (running: LocalPlatformProcess) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append(
      'file',
      new File(
        ['{"custom_id": "r1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "bge-m3", "input": "x"}}\n'],
        'kept.jsonl',
      ),
    );
    const response = await fetch(`${running.api}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.apiKey}` },
      body: form,
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id: string }).id;
  };
  const fileStatus = async (running: LocalPlatformProcess, id: string) =>
    (await fetch(`${running.api}/v1/files/${id}`, { headers: { authorization: `Bearer ${running.apiKey}` } })).status;
  const objectText = async (running: LocalPlatformProcess, key: string) => {
    const client = s3ClientFor(running.s3);
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: running.bucket, Key: key }));
      return await object.Body!.transformToString();
    } catch {
      return undefined;
    } finally {
      client.destroy();
    }
  };

  it('keeps files (their DynamoDB records and S3 objects) across a restart, and --fresh starts empty', async () => {
    // Prepare: a file uploaded and an object put, then the platform stopped
    const first = await start();
    expect(first.output()).toContain(`Data              ${dataDir}`);
    const id = await uploadFile(first);
    const client = s3ClientFor(first.s3);
    await client.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'notes/kept.txt', Body: 'still here' }));
    client.destroy();
    expect(await first.stop()).toBe(0);

    // Act: the same data directory again (the seeded key is found, not issued twice)
    const second = await start();
    const keptStatus = await fileStatus(second, id);
    const keptObject = await objectText(second, 'notes/kept.txt');
    expect(await second.stop()).toBe(0);
    // Act: --fresh
    const third = await start(['--fresh']);
    const freshStatus = await fileStatus(third, id);
    const freshObject = await objectText(third, 'notes/kept.txt');

    // Assess
    expect(keptStatus).toBe(200);
    expect(keptObject).toBe('still here');
    expect(freshStatus).toBe(404);
    expect(freshObject).toBeUndefined();
  }, 120_000);

  it('keeps what was written when the process is killed outright (kill -9), not only on a clean stop', async () => {
    // Prepare: (the platform the test before left running stopped: one process per data directory)
    // a file uploaded and an object put, then the process killed with no chance to close anything
    await platform?.stop();
    const first = await start();
    const id = await uploadFile(first);
    const client = s3ClientFor(first.s3);
    await client.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'notes/killed.txt', Body: 'survived' }));
    client.destroy();
    await first.kill();

    // Act
    const second = await start();
    const keptStatus = await fileStatus(second, id);
    const keptObject = await objectText(second, 'notes/killed.txt');

    // Assess
    expect(keptStatus).toBe(200);
    expect(keptObject).toBe('survived');
  }, 120_000);
});
