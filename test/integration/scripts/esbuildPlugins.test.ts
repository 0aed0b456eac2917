import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');
const { pluginsFor } = require(join(ROOT, 'scripts', 'osls', 'esbuildPlugins.js')) as {
  pluginsFor: (setting: string) => esbuild.Plugin[];
};

/** Bundles `entry` (source text at the root) as serverless.yml's esbuild settings do, with the plugins of `awsSdk`. */
async function bundle(source: string, awsSdk: string, outfile: string) {
  return esbuild.build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    metafile: true,
    logLevel: 'silent',
    plugins: pluginsFor(awsSdk),
  });
}

describe('the esbuild plugins of the package (scripts/osls/esbuildPlugins.js)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esbuild-plugins-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['runtime', 'bundled'])(
    'with awsSdk=%s, bundles Powertools parser schemas without zod locales, and they still parse',
    async (awsSdk) => {
      // Prepare
      const outfile = join(dir, `${awsSdk}.js`);
      const source = [
        "import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';",
        "import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';",
        'export const parse = (record: unknown) => SqsRecordSchema.safeParse(record).success;',
        'export const s3Records = S3Schema.shape.Records;',
      ].join('\n');

      // Act
      const built = await bundle(source, awsSdk, outfile);
      const loaded = require(outfile) as { parse: (record: unknown) => boolean; s3Records: unknown };

      // Assess
      const output = Object.values(built.metafile.outputs)[0]!;
      const inputs = Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file);
      expect(inputs.filter((file) => /zod\/v4\/locales\/(?!en\.|index\.)/.test(file))).toEqual([]);
      expect(inputs.some((file) => file.includes('@aws-lambda-powertools/parser'))).toBe(true);
      expect(loaded.s3Records).toBeDefined();
      const record = {
        messageId: 'm1',
        receiptHandle: 'r',
        body: '{}',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1700000000000',
          SenderId: 'AIDA',
          ApproximateFirstReceiveTimestamp: '1700000000000',
        },
        messageAttributes: {},
        md5OfBody: 'x',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
        awsRegion: 'us-east-1',
      };
      expect(loaded.parse(record)).toBe(true);
      expect(loaded.parse({ ...record, eventSource: 42 })).toBe(false);
    },
  );

  it('refuses an awsSdk setting other than runtime or bundled', () => {
    expect(() => pluginsFor('both')).toThrow('custom.awsSdk must be runtime or bundled');
  });
});
