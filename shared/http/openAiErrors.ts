import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { OpenAiErrorBody } from '../domain/openAiError';
import { PlatformError } from '../errors/PlatformError';
import { logger } from '../observability/logger';
import { jsonResponse } from './responses';

/** The OpenAI error body for any error; unknown errors become a 500 that says nothing internal. */
export function toOpenAiError(error: unknown, requestId?: string): { status: number; body: OpenAiErrorBody } {
  if (isFunctionTimeout(error)) {
    return {
      status: 504,
      body: {
        error: {
          message: 'The request could not be served before the time limit; try again.',
          type: 'server_error',
          param: null,
          code: 'deadline_exceeded',
        },
      },
    };
  }
  if (error instanceof PlatformError) {
    return { status: error.status, body: { error: { message: error.message, type: error.type, param: error.param, code: error.code } } };
  }
  const message = `The server had an error while processing your request.${requestId ? ` Request id: ${requestId}.` : ''}`;
  return { status: 500, body: { error: { message, type: 'server_error', param: null, code: 'internal_error' } } };
}

/**
 * The one place errors become HTTP responses: every error a handler throws leaves as
 * the OpenAI error shape with its status. Server-side faults are logged with their
 * cause; client errors only by code.
 */
export function openAiErrors(): MiddlewareObj<any, any, Error, Context> {
  const onError = async (request: Request<any, any, Error, Context>) => {
    const requestId = request.context?.awsRequestId;
    const { status, body } = toOpenAiError(request.error, requestId);
    if (status >= 500) logger.error('request failed', { code: body.error.code, error: request.error as Error });
    else logger.info('request refused', { status, code: body.error.code, param: body.error.param });
    const headers: Record<string, string> = requestId ? { 'x-request-id': requestId } : {};
    if (status === 429 || status === 503) headers['retry-after'] = '1';
    if (request.error instanceof PlatformError) Object.assign(headers, request.error.headers);
    request.response = jsonResponse(status, body, headers);
  };
  return { onError };
}

/**
 * middy's own timeout (it throws a `TimeoutError` just before the function's end): a
 * last resort, since routes stop their work earlier, but a deadline all the same, never
 * a 500.
 */
function isFunctionTimeout(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: unknown } | undefined)?.package === '@middy/core'
  );
}
