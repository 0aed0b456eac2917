import middy, { type MiddlewareObj } from '@middy/core';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { flushGatheredMetrics, metrics } from './metrics';

/**
 * The middy middleware that flushes {@link metrics} after each invocation and counts cold
 * starts; it publishes the values gathered per backend call too ({@link flushGatheredMetrics}),
 * so none waits in a frozen container.
 */
export function metricsMiddleware(): MiddlewareObj {
  const flushed = logMetrics(metrics, { captureColdStartMetric: true }) as MiddlewareObj;
  return {
    ...flushed,
    after: async (request) => {
      flushGatheredMetrics();
      await flushed.after?.(request);
    },
    onError: async (request) => {
      flushGatheredMetrics();
      await flushed.onError?.(request);
    },
  };
}

/**
 * Wraps a Lambda handler in middy with {@link metricsMiddleware}, then `more` in order: for
 * the handlers that are not built on a middy chain of their own (queues, schedule, authorizer).
 */
export function withMetrics<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  ...more: MiddlewareObj[]
): (event: E, context: Context) => Promise<R> {
  return middy<E, R, Error, Context>(handler).use([metricsMiddleware(), ...more] as MiddlewareObj<E, R, Error, Context>[]);
}
