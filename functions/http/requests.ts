import { loadConfig } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { createInferenceRuntime } from '../../shared/wiring/realtime';
import { AsyncRequestService } from '../../shared/queueRequests/AsyncRequestService';
import { CreateAsyncRequest, ListAsyncRequestsQuery } from '../../shared/queueRequests/AsyncRequest';
import { createAsyncRequestStore, createRequestQueue, createResultObjects } from '../../shared/wiring/queueRequests';

const CREATE = 'POST /v1/requests';

/**
 * Asynchronous requests: `POST /v1/requests` enqueues one request and answers 202 with its
 * id; `GET /v1/requests/{requestId}` answers its state and, once done, its result;
 * `GET /v1/requests` lists the tenant's recent requests (OpenAI's list shape, `limit` and `after`).
 */
export const createHandler = (deps: {
  service: AsyncRequestService;
  budget?: Pick<TenantAdmission, 'checkBudget'>;
  maxBodyBytes: number;
}) =>
  httpRoute(
    async ({ event, tenant: { tenantId }, body }) => {
      switch (event.routeKey) {
        case CREATE:
          // New work of a tenant over its monthly budget is refused (429 insufficient_quota); jobs already running finish.
          await deps.budget?.checkBudget(tenantId);
          return jsonResponse(202, await deps.service.create(tenantId, parseRequest(CreateAsyncRequest, body)));
        case 'GET /v1/requests':
          return jsonResponse(
            200,
            await deps.service.list(tenantId, parseRequest(ListAsyncRequestsQuery, event.queryStringParameters ?? {})),
          );
        case 'GET /v1/requests/{requestId}':
          return jsonResponse(200, await deps.service.retrieve(tenantId, event.pathParameters?.requestId ?? ''));
        default:
          throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
      }
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, jsonBodyWhen: (event) => event.routeKey === CREATE },
  );

const config = loadConfig();
export const handler = createHandler({
  service: new AsyncRequestService({
    requests: createAsyncRequestStore(config),
    results: createResultObjects(config),
    queue: createRequestQueue(config),
    // Only the catalogue is used here (to refuse a bad request at once); no backend is called.
    router: createInferenceRuntime(config).router,
  }),
  budget: createTenantAdmission(config),
  maxBodyBytes: config.maxBodyBytes,
});
