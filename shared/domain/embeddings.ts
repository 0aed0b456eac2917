import { z } from 'zod';

/**
 * An OpenAI-compatible embeddings request. `input` is one string or a list of strings
 * (token-id arrays are not accepted: the platform's backends take text).
 */
export const EmbeddingsRequest = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** One embedding: floats, or their little-endian float32 bytes in base64. */
export const Embedding = z.object({
  object: z.literal('embedding'),
  index: z.number().int().nonnegative(),
  embedding: z.union([z.array(z.number()), z.string()]),
});

/** An OpenAI-compatible embeddings response. */
export const EmbeddingsResponse = z.object({
  object: z.literal('list'),
  data: z.array(Embedding),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), total_tokens: z.number().int().nonnegative() }),
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponse>;

/** Encodes a vector the way OpenAI's `encoding_format: "base64"` does: float32, little-endian. */
export function encodeEmbeddingBase64(vector: readonly number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString('base64');
}
