import { PlatformError } from '../../shared/errors';
import { httpRoute } from '../../shared/http';

/**
 * `POST /v1/responses` (the Responses API): a placeholder until its handler lands. The
 * route is deployed already (a streaming integration, like chat completions), so it
 * answers 501 in the OpenAI error shape.
 */
export const handler = httpRoute(async () => {
  throw new PlatformError('The Responses API is not available yet.', { code: 'not_implemented', status: 501, type: 'server_error' });
}, { streaming: true });
