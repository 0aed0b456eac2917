import {
  createBatchInferenceService,
  createBatchInferenceStore,
  createFileStore,
  createJobStore,
  createMessageSender,
  createObjectStore,
} from '../../shared/wiring/batchJobs';
import { stopBatchInference } from '../../shared/batchJobs/batchInference/sweepBatchInference';
import { BatchService } from '../../shared/batchJobs/api/BatchService';
import { CreateBatchRequest, ListBatchesQuery } from '../../shared/batchJobs/api/requests';
import type { IngestJobMessage } from '../../shared/batchJobs/api/IngestJobMessage';
import { loadConfig } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';

const CREATE = 'POST /v1/batches';

/**
 * The Batch API: `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{batchId}` and
 * `POST /v1/batches/{batchId}/cancel`. Only the create route has a (JSON) body.
 */
export const createHandler = (deps: { service: BatchService; budget?: Pick<TenantAdmission, 'checkBudget'>; maxBodyBytes: number }) =>
  httpRoute(
    async ({ event, tenant: { tenantId }, body }) => {
      const batchId = event.pathParameters?.batchId ?? '';
      switch (event.routeKey) {
        case CREATE:
          // New work of a tenant over its monthly budget is refused (429 insufficient_quota); jobs already running finish.
          await deps.budget?.checkBudget(tenantId);
          return jsonResponse(200, await deps.service.create(tenantId, parseRequest(CreateBatchRequest, body)));
        case 'GET /v1/batches':
          return jsonResponse(200, await deps.service.list(tenantId, parseRequest(ListBatchesQuery, event.queryStringParameters ?? {})));
        case 'GET /v1/batches/{batchId}':
          return jsonResponse(200, await deps.service.retrieve(tenantId, batchId));
        case 'POST /v1/batches/{batchId}/cancel':
          return jsonResponse(200, await deps.service.cancel(tenantId, batchId));
        default:
          throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
      }
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, jsonBodyWhen: (event) => event.routeKey === CREATE },
  );

const config = loadConfig();
// Without the service role (a stage with no batch route), a cancel has no Bedrock job to stop.
const batchInference = config.bedrockBatchRoleArn
  ? { batchJobs: createBatchInferenceStore(config), bedrock: createBatchInferenceService(config) }
  : undefined;
export const handler = createHandler({
  service: new BatchService({
    jobs: createJobStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    ingest: createMessageSender<IngestJobMessage>(config.ingestQueueUrl, 'INGEST_QUEUE_URL'),
    prices: config.priceTable,
    ...(batchInference ? { onCancelling: (jobId: string) => stopBatchInference(batchInference, jobId) } : {}),
  }),
  budget: createTenantAdmission(config),
  maxBodyBytes: config.maxBodyBytes,
});
