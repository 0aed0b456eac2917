import * as z from 'zod';

/** A cursor page, as OpenAI lists things (files, batches, async requests). */
export interface ListPage<T extends { id: string }> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A page of `items` with OpenAI's cursor fields. */
export function toListPage<T extends { id: string }>(items: T[], hasMore: boolean): ListPage<T> {
  return { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: hasMore };
}

/** A `limit` query parameter: a whole number in `1..max`, `page.default` when absent. */
export const pageLimit = (page: { default: number; max: number }) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${page.max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be from 1 to ${page.max}`).max(page.max, `must be from 1 to ${page.max}`))
    .optional()
    .transform((limit) => limit ?? page.default);
