import * as z from 'zod';

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512. */
export const METADATA_LIMITS = { pairs: 16, keyChars: 64, valueChars: 512 } as const;

/** OpenAI's metadata: up to 16 string pairs, keys up to 64 characters, values up to 512. */
export const BatchMetadata = z
  .record(z.string(), z.string().max(METADATA_LIMITS.valueChars, `must be at most ${METADATA_LIMITS.valueChars} characters`))
  .superRefine((metadata, context) => {
    const keys = Object.keys(metadata);
    if (keys.length > METADATA_LIMITS.pairs)
      context.addIssue({ code: 'custom', message: `must have at most ${METADATA_LIMITS.pairs} pairs, got ${keys.length}` });
    for (const key of keys) {
      if (key.length > METADATA_LIMITS.keyChars)
        context.addIssue({ code: 'custom', path: [key], message: `keys must be at most ${METADATA_LIMITS.keyChars} characters` });
    }
  });
