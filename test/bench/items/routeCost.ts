import { priceUsage, type RouteUsage } from '../../../shared/domain/cost';
import { DEFAULT_PRICE_TABLE, type PricedRoute, type PriceTable } from '../../../shared/domain/pricing';
import { round } from '../stats';

/**
 * Item 10: one batch job, three ways of running it on Bedrock, side by side: every line
 * on demand in the Standard tier, on demand in the Flex tier (the platform's default for
 * batch work where the model offers it), and through Bedrock batch inference. Pure (no
 * simulator, no clock): the cost is the job's tokens priced with the platform's own price
 * table (`priceUsage`, the function jobs and budgets use); the time follows from the
 * stated model below, not from a measurement.
 *
 * The time model:
 * - On demand, a tier's throughput is the lesser of the account's tokens-per-minute quota
 *   (shared by all tiers, as AWS documents) times the share of it the tier gets, and what
 *   the platform's calls in flight can carry (calls in flight ÷ a call's latency). A
 *   call's latency is a fixed part plus the output tokens at the tier's generation speed.
 *   Flex is served from spare capacity after Standard and Priority: it gets a smaller
 *   share of the quota and a longer latency (both stated assumptions, not AWS figures).
 * - Batch inference: the job waits in Bedrock's queue, then its records are processed at
 *   a steady rate; Bedrock promises completion within its 24-hour window only, so the
 *   worst case is the window.
 */
export interface RouteCostOptions {
  /** The job: lines of one model, and the mean tokens of a line. */
  job: { lines: number; bedrockModel: string; inputTokensPerLine: number; outputTokensPerLine: number };
  /** The account's on-demand quota for the model, shared by every tier. */
  quota: { tokensPerMinute: number };
  /** Calls the platform keeps in flight to Bedrock (workers × the backend's maxConcurrency). */
  callsInFlight: number;
  onDemand: Record<
    'standard' | 'flex',
    {
      /** Share of the quota the tier gets in practice (1: all of it). */
      quotaShare: number;
      /** Fixed part of a call's latency, and generation speed. */
      firstTokenSeconds: number;
      outputTokensPerSecond: number;
    }
  >;
  batch: {
    /** Time in Bedrock's queue before the job starts (typical, assumed). */
    queueMinutes: number;
    /** Records Bedrock processes per minute once the job runs (assumed). */
    recordsPerMinute: number;
    /** Bedrock's completion window: the worst case. */
    windowHours: number;
    /** Records per Bedrock job (AWS default quota): more lines make several jobs, run in parallel up to the concurrency quota. */
    maxRecordsPerJob: number;
  };
}

/** One route's figures. */
export interface RouteCostFigures {
  route: string;
  pricedAs: PricedRoute;
  /** USD per million input and output tokens on this route. */
  inputPerMillion: number;
  outputPerMillion: number;
  usd: number;
  /** Cost relative to all on demand Standard. */
  ofStandard: number;
  /** Expected hours to finish under the model, and the worst case the route allows. */
  hours: number;
  worstCaseHours: number;
  /** What bounds the time: the quota, the calls in flight, or the batch queue and rate. */
  boundBy: string;
}

/** The result of item 10. */
export interface RouteCostResult {
  options: RouteCostOptions;
  tokens: { input: number; output: number };
  routes: RouteCostFigures[];
}

/** The job the suite prices: 20,000 gpt-oss-120b lines of 500 tokens in and 300 out. */
export const ROUTE_COST: RouteCostOptions = {
  job: { lines: 20_000, bedrockModel: 'openai.gpt-oss-120b-1:0', inputTokensPerLine: 500, outputTokensPerLine: 300 },
  quota: { tokensPerMinute: 1_000_000 },
  // 10 workers × the Bedrock backend's maxConcurrency of 32 (shared/routing/defaultCatalogue.ts).
  callsInFlight: 320,
  onDemand: {
    standard: { quotaShare: 1, firstTokenSeconds: 0.5, outputTokensPerSecond: 150 },
    flex: { quotaShare: 0.5, firstTokenSeconds: 2, outputTokensPerSecond: 50 },
  },
  batch: { queueMinutes: 60, recordsPerMinute: 1_000, windowHours: 24, maxRecordsPerJob: 50_000 },
};

/** Runs the model and prices each route with `prices` (the platform's defaults: AWS list prices). */
export function runRouteCost(
  options: RouteCostOptions = ROUTE_COST,
  log: (line: string) => void = () => undefined,
  prices: PriceTable = DEFAULT_PRICE_TABLE,
): RouteCostResult {
  const { job } = options;
  const tokens = { input: job.lines * job.inputTokensPerLine, output: job.lines * job.outputTokensPerLine };
  const tokensPerLine = job.inputTokensPerLine + job.outputTokensPerLine;
  const price = (pricedAs: PricedRoute) => {
    const usage: RouteUsage = {
      route: pricedAs,
      model: job.bedrockModel,
      requests: job.lines,
      inputTokens: tokens.input,
      outputTokens: tokens.output,
    };
    return priceUsage(prices, [usage]).total;
  };
  const perMillion = (pricedAs: PricedRoute) => {
    const entry = prices.bedrock[job.bedrockModel];
    const routePrice =
      (pricedAs === 'bedrock-flex' ? entry?.flex : pricedAs === 'bedrock-batch' ? entry?.batch : undefined) ?? entry?.standard;
    return { inputPerMillion: routePrice?.inputPerMillion ?? 0, outputPerMillion: routePrice?.outputPerMillion ?? 0 };
  };
  const standardUsd = price('bedrock-standard');

  const onDemand = (tier: 'standard' | 'flex'): RouteCostFigures => {
    const model = options.onDemand[tier];
    const latencySeconds = model.firstTokenSeconds + job.outputTokensPerLine / model.outputTokensPerSecond;
    const quotaLinesPerMinute = (options.quota.tokensPerMinute * model.quotaShare) / tokensPerLine;
    const inFlightLinesPerMinute = (options.callsInFlight / latencySeconds) * 60;
    const linesPerMinute = Math.min(quotaLinesPerMinute, inFlightLinesPerMinute);
    const hours = job.lines / linesPerMinute / 60 + latencySeconds / 3600;
    const pricedAs: PricedRoute = tier === 'standard' ? 'bedrock-standard' : 'bedrock-flex';
    const usd = price(pricedAs);
    return {
      route: `on demand, ${tier === 'standard' ? 'Standard' : 'Flex'}`,
      pricedAs,
      ...perMillion(pricedAs),
      usd: round(usd, 4),
      ofStandard: round(usd / standardUsd, 3),
      hours: round(hours, 2),
      // On demand has no promise beyond throughput: the model's figure is the expectation and the bound.
      worstCaseHours: round(hours, 2),
      boundBy: quotaLinesPerMinute <= inFlightLinesPerMinute ? 'quota (tokens/min)' : 'calls in flight',
    };
  };

  const bedrockJobs = Math.ceil(job.lines / options.batch.maxRecordsPerJob);
  const recordsPerJob = Math.ceil(job.lines / bedrockJobs);
  const batchHours = Math.min(
    options.batch.windowHours,
    (options.batch.queueMinutes + recordsPerJob / options.batch.recordsPerMinute) / 60,
  );
  const batchUsd = price('bedrock-batch');
  const routes: RouteCostFigures[] = [
    onDemand('standard'),
    onDemand('flex'),
    {
      route: `batch inference (${bedrockJobs} Bedrock job${bedrockJobs > 1 ? 's' : ''})`,
      pricedAs: 'bedrock-batch',
      ...perMillion('bedrock-batch'),
      usd: round(batchUsd, 4),
      ofStandard: round(batchUsd / standardUsd, 3),
      hours: round(batchHours, 2),
      worstCaseHours: options.batch.windowHours,
      boundBy: 'queue + records/min',
    },
  ];
  for (const route of routes) log(`  ${route.route}: $${route.usd} (${route.ofStandard} of Standard), ${route.hours} h`);
  return { options, tokens, routes };
}
