import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';

/** `GET /health`: answers once the function can run; no key needed. */
export const handler = httpRoute(async () => jsonResponse(200, { status: 'ok' }), { anonymous: true });
