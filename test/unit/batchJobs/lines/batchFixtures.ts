import { Readable } from 'node:stream';
import type { LineContext } from '../../../../shared/batchJobs/lines/types';
import type { BatchLimits } from '../../../../shared/config/config';
import { ModelCatalogue } from '../../../../shared/domain/catalogue';
import { ModelRouter } from '../../../../shared/routing/ModelRouter';
import { FakeProvider } from '../../../helpers/fakeProvider';

/** A catalogue like the default one: gpt-oss on a GPU pool with Bedrock behind, Titan on Bedrock, bge-m3 on a GPU pool. */
export const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      contextTokens: 2_000,
      maxOutputTokens: 1_000,
      reasoning: true,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-chat', model: 'gpt-oss-20b', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock-20b', model: 'openai.gpt-oss-20b-1:0' },
      ],
    },
    {
      id: 'titan-embed-text-v2',
      kind: 'embeddings',
      contextTokens: 100,
      maxOutputTokens: 1,
      backends: [
        { provider: 'bedrock', id: 'bedrock-titan', model: 'amazon.titan-embed-text-v2:0', embeddingDimensions: [256, 512, 1024] },
      ],
    },
    {
      id: 'bge-m3',
      kind: 'embeddings',
      contextTokens: 8_192,
      maxOutputTokens: 1,
      backends: [{ provider: 'openai-compatible', id: 'gpu-embed', model: 'BAAI/bge-m3', baseUrls: ['http://127.0.0.1:1'] }],
    },
  ],
});

/** The real router over {@link catalogue}, so model lookups fail exactly as in production. */
export const router = new ModelRouter(catalogue, {
  providerFor: (ref) => new FakeProvider(ref.id),
  failureThreshold: 3,
  cooldownMs: 1_000,
});

/** What a line is parsed against, by default: nothing known of its file. */
export function lineContext(extra: Partial<LineContext> = {}): LineContext {
  return { resolveModel: (id, kind) => router.model(id, kind), listModels: () => router.listModels(), ...extra };
}

/** Small limits so tests can cross them cheaply. */
export const limits: BatchLimits = {
  maxLinesPerJob: 2_000,
  maxLineBytes: 4_096,
  maxFileBytes: 10 * 1024 * 1024,
  chunkMaxLines: 100,
  chunkMaxBytes: 64 * 1024,
};

/** A valid OpenAI-format chat line. */
export function chatLine(customId: string, content = `say ${customId}`, model = 'gpt-oss-20b'): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content }], max_tokens: 10 },
  });
}

/** A valid OpenAI-format embeddings line. */
export function embeddingsLine(customId: string, input: string | string[] = `text ${customId}`, model = 'bge-m3'): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: { model, input } });
}

/** A stream of `buffer` in pieces of `size` bytes. */
export function piecesOf(buffer: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) pieces.push(buffer.subarray(i, i + size));
  return Readable.from(pieces);
}
