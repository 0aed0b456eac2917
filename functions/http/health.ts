import { httpRoute, jsonResponse } from '../../shared/http';

/** `GET /health`: answers once the function can run; no key needed. */
export const handler = httpRoute(async () => jsonResponse(200, { status: 'ok' }), { anonymous: true });
