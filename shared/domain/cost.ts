import * as z from 'zod';
import type { BackendRef } from './catalogue';
import type { Usage } from './inference';
import { bedrockRouteOf, bedrockTokenCost, gpuTimeCost, PricedRoute, type PriceTable, type ServiceTier } from './pricing';

/**
 * What one route served for a job (or a tenant): the requests, their tokens, and for a
 * GPU pool the estimated server time. `model` is what the price table is keyed by: the
 * Bedrock model id on a Bedrock route, the EC2 instance type on the `gpu` route.
 */
export const RouteUsage = z.strictObject({
  route: PricedRoute,
  model: z.string().min(1),
  requests: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** `gpu` only: estimated milliseconds of one whole server (see README, "Cost of a job"). */
  gpuMs: z.number().int().nonnegative().optional(),
});
export type RouteUsage = z.infer<typeof RouteUsage>;

/** The estimated cost of some usage, in the table's currency (USD), as the batch object shows it. */
export interface Cost {
  currency: 'usd';
  /** Sum of `by_route`. */
  total: number;
  /** USD per route that served anything (routes with no usage are left out). */
  by_route: Partial<Record<PricedRoute, number>>;
  /** Models (or instance types) the table has no price for: their usage is not in `total`. */
  unpriced?: string[];
}

/** The key two usages of the same route and model share. */
export const routeUsageKey = (usage: Pick<RouteUsage, 'route' | 'model'>): string => `${usage.route}|${usage.model}`;

/** Adds usages of the same route and model together; the result is in first-seen order. */
export function mergeRouteUsage(...lists: ReadonlyArray<readonly RouteUsage[] | undefined>): RouteUsage[] {
  const merged = new Map<string, RouteUsage>();
  for (const usage of lists.flatMap((list) => list ?? [])) {
    const key = routeUsageKey(usage);
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...usage });
      continue;
    }
    seen.requests += usage.requests;
    seen.inputTokens += usage.inputTokens;
    seen.outputTokens += usage.outputTokens;
    if (usage.gpuMs !== undefined) seen.gpuMs = (seen.gpuMs ?? 0) + usage.gpuMs;
  }
  return [...merged.values()];
}

/** Rounds to a millionth of a dollar, so sums print cleanly and add up to `total`. */
const micro = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/**
 * Prices usage with the table: Bedrock tokens at the route's price per million (Standard
 * where the model has no price for the route), GPU time at the instance type's hourly
 * price. Pure, so a job's cost and a tenant's budget are priced the same way. Each route's
 * figure is rounded to a millionth of a dollar and `total` is the sum of those figures.
 */
export function priceUsage(table: PriceTable, usage: readonly RouteUsage[]): Cost {
  const byRoute: Partial<Record<PricedRoute, number>> = {};
  const unpriced = new Set<string>();
  for (const entry of usage) {
    const known = entry.route === 'gpu' ? entry.model in table.gpuInstanceHour : entry.model in table.bedrock;
    if (!known) unpriced.add(entry.model);
    const usd =
      entry.route === 'gpu'
        ? gpuTimeCost(table, entry.model, (entry.gpuMs ?? 0) / 1000)
        : bedrockTokenCost(table, entry.model, entry.route, entry);
    byRoute[entry.route] = (byRoute[entry.route] ?? 0) + usd;
  }
  const rounded = Object.fromEntries(Object.entries(byRoute).map(([route, usd]) => [route, micro(usd)])) as Cost['by_route'];
  const total = micro(Object.values(rounded).reduce((sum, usd) => sum + (usd ?? 0), 0));
  return { currency: 'usd', total, by_route: rounded, ...(unpriced.size > 0 ? { unpriced: [...unpriced].sort() } : {}) };
}

/**
 * The route usage of one answer a backend of the catalogue served. On Bedrock on demand:
 * the tokens, on the route of the tier the answer was served in. On a GPU pool: the
 * tokens, and the server time they took, estimated as input tokens ÷ the server's prefill
 * throughput + output tokens ÷ its generation throughput (the backend's `throughput`), i.e.
 * the share of a server whose batch is kept full. Idle servers are not in it: a pool that
 * runs half empty costs more than this says.
 */
export function servedRouteUsage(ref: BackendRef, usage: Usage, servedTier: ServiceTier = 'standard'): RouteUsage {
  const tokens = { requests: 1, inputTokens: usage.promptTokens, outputTokens: usage.completionTokens };
  if (ref.provider === 'bedrock') return { route: bedrockRouteOf(servedTier), model: ref.model, ...tokens };
  const seconds = usage.promptTokens / ref.throughput.inputTokensPerSecond + usage.completionTokens / ref.throughput.outputTokensPerSecond;
  return { route: 'gpu', model: ref.instanceType, ...tokens, gpuMs: Math.round(seconds * 1000) };
}
