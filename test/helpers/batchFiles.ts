import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** An S3 client for the local platform's S3 stand-in. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The text of an object. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<string> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const parts: Buffer[] = [];
  for await (const part of Body as Readable) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

/** Puts an object, as a data team drops a file. */
export async function dropFile(s3: S3Client, bucket: string, key: string, body: string, metadata?: Record<string, string>): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/jsonl', Metadata: metadata }));
}

/** Parses JSONL text into its objects (blank lines skipped). */
export function parseJsonl<T = any>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * A mixed OpenAI-format batch file: chat lines on gpt-oss-20b and embedding lines on
 * bge-m3, each with a unique custom_id; `broken` maps 1-based line numbers to a broken
 * line to put there instead.
 */
export function openAiBatchFile(lines: number, broken: Map<number, string> = new Map()): { text: string; customIds: string[] } {
  const out: string[] = [];
  const customIds: string[] = [];
  for (let n = 1; n <= lines; n++) {
    const bad = broken.get(n);
    if (bad !== undefined) {
      out.push(bad);
      continue;
    }
    const customId = `req-${n}`;
    customIds.push(customId);
    out.push(
      JSON.stringify(
        n % 3 === 0
          ? { custom_id: customId, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: [`text ${n}`, `more ${n}`] } }
          : {
              custom_id: customId,
              method: 'POST',
              url: '/v1/chat/completions',
              body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `Question number ${n}?` }], max_tokens: 16 },
            },
      ),
    );
  }
  return { text: `${out.join('\n')}\n`, customIds };
}
