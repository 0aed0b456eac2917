import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
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
