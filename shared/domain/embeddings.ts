import * as z from 'zod';

const tokenIds = z.array(z.number().int().nonnegative()).min(1);

/**
 * An OpenAI-compatible embeddings request. `input` is a string, a list of strings, a
 * list of token ids, or a list of such lists (as LangChain sends by default); token
 * ids go only to backends that take them (GPU servers; Titan takes text).
 */
export const EmbeddingsRequest = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048), tokenIds, z.array(tokenIds).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().positive().nullish(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** The inputs of a request as a list, and whether `input` was one input (so `param` says `input`, not `input[0]`). */
export function embeddingInputs(request: Pick<EmbeddingsRequest, 'input'>): { inputs: (string | number[])[]; single: boolean } {
  const input = request.input;
  if (typeof input === 'string') return { inputs: [input], single: true };
  if (input.every((x): x is number => typeof x === 'number')) return { inputs: [input], single: true };
  return { inputs: input as (string | number[])[], single: false };
}

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
  for (const [i, value] of vector.entries()) buffer.writeFloatLE(value, i * 4);
  return buffer.toString('base64');
}
