import { DynamoDbFileStore } from '../../../../shared/adapters/aws/DynamoDbFileStore';
import { DynamoDbUploadStore } from '../../../../shared/adapters/aws/DynamoDbUploadStore';
import type { UploadRecord } from '../../../../shared/batchJobs/api/UploadStore';
import type { FileRecord } from '../../../../shared/batchJobs/job/ports';
import { startTestTable } from '../../../helpers/localDynamoDb';

const file = (id: string, createdAt: number, overrides: Partial<FileRecord> = {}): FileRecord => ({
  id,
  tenantId: 'tenant-a',
  purpose: 'batch',
  filename: `${id}.jsonl`,
  bytes: 10,
  createdAt,
  bucket: 'b',
  key: `files/tenant-a/${id}`,
  ...overrides,
});

const upload = (id: string, overrides: Partial<UploadRecord> = {}): UploadRecord => ({
  id,
  tenantId: 'tenant-a',
  filename: 'big.jsonl',
  bytes: 100,
  mimeType: 'application/jsonl',
  purpose: 'batch',
  createdAt: 1_000,
  expiresAt: 4_600,
  status: 'pending',
  parts: {},
  ...overrides,
});

describe('DynamoDbFileStore and DynamoDbUploadStore against a DynamoDB-API server', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let files: DynamoDbFileStore;
  let uploads: DynamoDbUploadStore;
  beforeAll(async () => {
    table = await startTestTable();
    files = new DynamoDbFileStore(table.documentClient, table.tableName);
    uploads = new DynamoDbUploadStore(table.documentClient, table.tableName);
  });
  afterAll(() => table.close());

  it('confirms a pending upload once (size and expiry set, off the sweep without expires_after), never a file not pending', async () => {
    // Prepare
    await files.put(file('pending-1', 100, { bytes: 0, expiresAt: 7_300, pendingUpload: {} }));
    await files.put(file('pending-2', 100, { bytes: 0, expiresAt: 7_300, pendingUpload: { expiresAfterSeconds: 3_600 } }));
    // Act
    const first = await files.confirmUpload('pending-1', 42, undefined);
    const again = await files.confirmUpload('pending-1', 99, undefined);
    const withExpiry = await files.confirmUpload('pending-2', 7, 3_700);
    const missing = await files.confirmUpload('pending-none', 1, undefined);
    const expired = (await files.listExpired(100_000, 100)).map((f) => f.id);
    // Assess
    expect(first).toEqual(file('pending-1', 100, { bytes: 42 }));
    expect(again).toBeUndefined();
    expect(await files.get('pending-1')).toEqual(file('pending-1', 100, { bytes: 42 }));
    expect(withExpiry).toEqual(file('pending-2', 100, { bytes: 7, expiresAt: 3_700 }));
    expect(missing).toBeUndefined();
    expect(expired).toContain('pending-2');
    expect(expired).not.toContain('pending-1');
    await files.delete('pending-1');
    await files.delete('pending-2');
  });

  it('lists either way with after, deletes, and finds expired files oldest expiry first', async () => {
    // Prepare
    await files.put(file('file-1', 100, { expiresAt: 5_000 }));
    await files.put(file('file-2', 200));
    await files.put(file('file-3', 300, { expiresAt: 4_000, purpose: 'batch_output' }));
    await files.put(file('file-4', 400, { tenantId: 'tenant-b' }));
    // Act
    const ascending = await files.list('tenant-a', { limit: 2, order: 'asc' });
    const next = await files.list('tenant-a', { limit: 2, order: 'asc', after: 'file-2' });
    const descending = await files.list('tenant-a', { limit: 10 });
    const expired = await files.listExpired(6_000, 10);
    const notYet = await files.listExpired(4_500, 10);
    const deleted = await files.delete('file-1');
    const again = await files.delete('file-1');
    // Assess
    expect(ascending).toEqual({ files: [file('file-1', 100, { expiresAt: 5_000 }), file('file-2', 200)], hasMore: true });
    expect(next.files.map((f) => f.id)).toEqual(['file-3']);
    expect(descending.files.map((f) => f.id)).toEqual(['file-3', 'file-2', 'file-1']);
    expect(expired.map((f) => f.id)).toEqual(['file-3', 'file-1']);
    expect(notYet.map((f) => f.id)).toEqual(['file-3']);
    expect([deleted, again]).toEqual([true, false]);
    expect(await files.get('file-1')).toBeUndefined();
    expect((await files.listExpired(6_000, 10)).map((f) => f.id)).toEqual(['file-3']);
  });

  it('adds parts only while an upload is pending and not expired; one finish wins', async () => {
    // Prepare
    await uploads.create(upload('upload_1'));
    await uploads.create(upload('upload_2'));
    // Act
    const added = await Promise.all([
      uploads.addPart('upload_1', { id: 'part_a', bytes: 60, createdAt: 1_001 }, 1_001),
      uploads.addPart('upload_1', { id: 'part_b', bytes: 40, createdAt: 1_002 }, 1_002),
    ]);
    const late = await uploads.addPart('upload_1', { id: 'part_c', bytes: 1, createdAt: 4_600 }, 4_600);
    const finishes = await Promise.all([uploads.finish('upload_1', 'completed', 'file-x'), uploads.finish('upload_1', 'cancelled')]);
    const afterFinish = await uploads.addPart('upload_1', { id: 'part_d', bytes: 1, createdAt: 1_003 }, 1_003);
    const unknown = await uploads.addPart('upload_none', { id: 'part_e', bytes: 1, createdAt: 1_003 }, 1_003);
    const cancelled = await uploads.finish('upload_2', 'cancelled');
    // Assess
    expect(added).toEqual([true, true]);
    expect([late, afterFinish, unknown]).toEqual([false, false, false]);
    expect(finishes.filter((result) => result !== undefined)).toHaveLength(1);
    const stored = (await uploads.get('upload_1'))!;
    expect(Object.keys(stored.parts).sort()).toEqual(['part_a', 'part_b']);
    expect(stored.status === 'completed' ? stored.fileId : stored.status).toBe(finishes[0] ? 'file-x' : 'cancelled');
    expect(cancelled).toMatchObject({ id: 'upload_2', status: 'cancelled', parts: {} });
    await expect(uploads.create(upload('upload_2'))).rejects.toThrow();
  });
});
