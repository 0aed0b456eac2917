import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  NoSuchKey,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { S3ObjectStore } from '../../../../shared/adapters/aws/S3ObjectStore';
import { ObjectChangedError, ObjectMissingError } from '../../../../shared/batchJobs/job/errors';

describe('S3ObjectStore.read', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('pins the read to the ETag given (IfMatch) and the range asked', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('x')]) as never });

    // Act
    await new S3ObjectStore(new S3Client({})).read('b', 'k', { start: 5, end: 9, ifMatch: '"e1"' });

    // Assess
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k', Range: 'bytes=5-9', IfMatch: '"e1"' });
  });

  it('given a loader, builds its client at the first call, once', async () => {
    // Prepare
    s3.on(GetObjectCommand).callsFake(async () => ({ Body: Readable.from([Buffer.from('x')]) }));
    const load = jest.fn(async () => new S3Client({}));
    const store = new S3ObjectStore(load);

    // Act
    const before = load.mock.calls.length;
    await store.read('b', 'k1');
    await store.read('b', 'k2');

    // Assess
    expect(before).toBe(0);
    expect(load).toHaveBeenCalledTimes(1);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('names 412 PreconditionFailed ObjectChangedError (file_changed) and 404 NoSuchKey ObjectMissingError (file_not_found)', async () => {
    // Prepare
    const store = new S3ObjectStore(new S3Client({}));
    const preconditionFailed = new S3ServiceException({
      name: 'PreconditionFailed',
      $fault: 'client',
      $metadata: { httpStatusCode: 412 },
      message: 'At least one of the pre-conditions you specified did not hold',
    });
    s3.on(GetObjectCommand)
      .rejectsOnce(preconditionFailed)
      .rejectsOnce(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));

    // Act
    const changed = await store.read('b', 'k', { ifMatch: '"e1"' }).catch((error: unknown) => error);
    const missing = await store.read('b', 'k', { ifMatch: '"e1"' }).catch((error: unknown) => error);

    // Assess
    expect(changed).toBeInstanceOf(ObjectChangedError);
    expect(changed).toMatchObject({ code: 'file_changed', cause: preconditionFailed });
    expect(missing).toBeInstanceOf(ObjectMissingError);
    expect(missing).toMatchObject({ code: 'file_not_found' });
  });

  it('throws any other failure as it came, to be retried', async () => {
    // Prepare
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
      message: 'Please reduce your request rate.',
    });
    s3.on(GetObjectCommand).rejects(slowDown);

    // Act
    const error = await new S3ObjectStore(new S3Client({})).read('b', 'k').catch((failure: unknown) => failure);

    // Assess
    expect(error).toBe(slowDown);
  });
});

describe('S3ObjectStore.assembler (multipart upload with UploadPartCopy)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('numbers parts in the order they are appended, copies by URL-encoded source and range, and completes with the parts in order', async () => {
    // Prepare: the second part answers before the first.
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCopyCommand, { PartNumber: 1 }).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { CopyPartResult: { ETag: '"e1"' } };
    });
    s3.on(UploadPartCommand).resolves({ ETag: '"e2"' });
    s3.on(UploadPartCopyCommand, { PartNumber: 3 }).resolves({ CopyPartResult: { ETag: '"e3"' } });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({}));

    // Act
    const assembly = await store.assembler.start('b', 'outputs/j/results.jsonl');
    const appended = [
      assembly.copy('jobs/j/parts/0 a+b.jsonl'),
      assembly.upload(Buffer.from('small\n')),
      assembly.copy('jobs/j/parts/1.jsonl', { start: 5, end: 99 }),
    ];
    await assembly.complete();
    await Promise.all(appended);

    // Assess
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'b',
      Key: 'outputs/j/results.jsonl',
      ContentType: 'application/jsonl',
    });
    const copies = s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input);
    expect(copies).toEqual([
      { Bucket: 'b', Key: 'outputs/j/results.jsonl', UploadId: 'up-1', PartNumber: 1, CopySource: 'b/jobs/j/parts/0%20a%2Bb.jsonl' },
      {
        Bucket: 'b',
        Key: 'outputs/j/results.jsonl',
        UploadId: 'up-1',
        PartNumber: 3,
        CopySource: 'b/jobs/j/parts/1.jsonl',
        CopySourceRange: 'bytes=5-99',
      },
    ]);
    expect(s3.commandCalls(UploadPartCommand)[0]!.args[0].input).toMatchObject({ UploadId: 'up-1', PartNumber: 2 });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'b',
      Key: 'outputs/j/results.jsonl',
      UploadId: 'up-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"e1"' },
          { PartNumber: 2, ETag: '"e2"' },
          { PartNumber: 3, ETag: '"e3"' },
        ],
      },
    });
  });

  it('fails complete when a part failed, and abort ends the upload once the parts in flight are done', async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
      message: 'slow down',
    });
    s3.on(UploadPartCopyCommand).rejects(slowDown);
    s3.on(AbortMultipartUploadCommand).resolves({});
    const assembly = await new S3ObjectStore(new S3Client({})).assembler.start('b', 'k');

    // Act
    const copied = assembly.copy('part').catch((error: unknown) => error);
    const completed = await assembly.complete().catch((error: unknown) => error);
    await assembly.abort();

    // Assess
    expect(await copied).toBe(slowDown);
    expect(completed).toBe(slowDown);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k', UploadId: 'up-2' });
  });
});
