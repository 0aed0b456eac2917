import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonlPartWriter } from '../../../../shared/batchJobs/lines/JsonlPartWriter';
import type { ObjectStore } from '../../../../shared/domain/ports';
import { MemoryObjectStore } from '../../../helpers/memoryPorts';

/** A bucket whose upload reads nothing until `start()`, then everything: a slow network. */
function slowBucket() {
  let release!: () => void;
  const started = new Promise<void>((resolve) => {
    release = resolve;
  });
  let stored = '';
  const objects: ObjectStore = {
    head: async () => undefined,
    read: async () => {
      throw new Error('not used');
    },
    write: async (_bucket, _key, body) => {
      await started;
      for await (const piece of body as Readable) stored += String(piece);
    },
  };
  return { objects, start: release, stored: () => stored };
}

describe('JsonlPartWriter', () => {
  it('writes one JSON value per line and stores the object on close', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const writer = new JsonlPartWriter(objects, 'b', 'k');
    // Act
    await writer.writeLine({ a: 1 });
    await writer.writeLine({ b: 'two' });
    await writer.close();
    // Assess
    expect(objects.text('b', 'k')).toBe('{"a":1}\n{"b":"two"}\n');
    expect(objects.objects.get('b/k')!.contentType).toBe('application/x-ndjson');
    expect(writer.lines).toBe(2);
  });

  it('waits for a slow upload instead of buffering every line', async () => {
    // Prepare: 1 KB lines, and an upload that has not started reading.
    const bucket = slowBucket();
    const writer = new JsonlPartWriter(bucket.objects, 'b', 'k');
    const line = { text: 'x'.repeat(1_000) };
    let written = 0;
    const writing = (async () => {
      for (let i = 0; i < 2_000; i += 1) {
        await writer.writeLine(line);
        written += 1;
      }
    })();
    // Act
    await sleep(50);
    const beforeUpload = written;
    bucket.start();
    await writing;
    await writer.close();
    // Assess: the stream's two buffers (2 × 256 KB) filled before the writer waited, not the 2 MB.
    expect(beforeUpload).toBeGreaterThan(0);
    expect(beforeUpload).toBeLessThan(600);
    expect(bucket.stored().split('\n').filter(Boolean)).toHaveLength(2_000);
  });

  it('reports a failed upload on the next write instead of waiting forever', async () => {
    // Prepare
    const objects: ObjectStore = {
      head: async () => undefined,
      read: async () => {
        throw new Error('not used');
      },
      write: async () => {
        throw new Error('AccessDenied');
      },
    };
    const writer = new JsonlPartWriter(objects, 'b', 'k');
    const line = { text: 'x'.repeat(100_000) };
    // Act
    const outcome = (async () => {
      for (let i = 0; i < 100; i += 1) await writer.writeLine(line);
    })();
    // Assess
    await expect(outcome).rejects.toThrow();
    await expect(writer.close()).rejects.toThrow('AccessDenied');
  });

  it('stores nothing when aborted', async () => {
    const objects = new MemoryObjectStore();
    const writer = new JsonlPartWriter(objects, 'b', 'k');
    await writer.writeLine({ a: 1 });
    await writer.abort(new Error('read failed'));
    expect(objects.text('b', 'k')).toBeUndefined();
  });
});
