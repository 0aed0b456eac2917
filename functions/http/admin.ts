import { createApiKeyDirectory, createUsageStore } from '../../shared/wiring/batchJobs';
import { ApiKeyAdmin, CreateApiKeyRequest, ListApiKeysQuery } from '../../shared/auth/ApiKeyAdmin';
import { TenantId } from '../../shared/domain/tenant';
import { RateLimitValues, TenantLimitSettings } from '../../shared/limits/types';
import type { TenantLimitsAdmin } from '../../shared/limits/TenantLimitsAdmin';
import { createTenantLimitsAdmin } from '../../shared/wiring/limits';
import { loadConfig } from '../../shared/config/config';
import { NotFoundError } from '../../shared/errors/requestErrors';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { parseRequest } from '../../shared/domain/validation';
import { requireAdmin } from '../../shared/http/tenant';
import { readUsageReport, UsageQuery } from '../../shared/usage/usageReport';
import type { UsageStore } from '../../shared/usage/types';

const CREATE_KEY = 'POST /v1/admin/keys';
const SET_KEY_LIMITS = 'PUT /v1/admin/keys/{keyId}/limits';
const SET_TENANT_LIMITS = 'PUT /v1/admin/tenants/{tenant}/limits';
const WITH_BODY = new Set([CREATE_KEY, SET_KEY_LIMITS, SET_TENANT_LIMITS]);

/**
 * The admin routes, for admin keys only (any other key gets OpenAI's 403):
 * `POST /v1/admin/keys`, `GET /v1/admin/keys`, `DELETE /v1/admin/keys/{keyId}`,
 * `PUT /v1/admin/keys/{keyId}/limits`, `GET`/`PUT /v1/admin/tenants/{tenant}/limits` and
 * `GET /v1/admin/usage`.
 */
export const createHandler = (deps: {
  keys: ApiKeyAdmin;
  tenants: TenantLimitsAdmin;
  usage: Pick<UsageStore, 'query'>;
  maxBodyBytes: number;
}) =>
  httpRoute(
    async ({ event, tenant, body }) => {
      requireAdmin(tenant);
      const query = event.queryStringParameters ?? {};
      switch (event.routeKey) {
        case CREATE_KEY:
          return jsonResponse(200, await deps.keys.create(parseRequest(CreateApiKeyRequest, body ?? {})));
        case 'GET /v1/admin/keys':
          return jsonResponse(200, await deps.keys.list(parseRequest(ListApiKeysQuery, query)));
        case 'DELETE /v1/admin/keys/{keyId}':
          return jsonResponse(200, await deps.keys.revoke(event.pathParameters?.keyId ?? ''));
        case SET_KEY_LIMITS:
          return jsonResponse(200, await deps.keys.setLimits(event.pathParameters?.keyId ?? '', parseRequest(RateLimitValues, body ?? {})));
        case 'GET /v1/admin/tenants/{tenant}/limits':
          return jsonResponse(200, await deps.tenants.get(parseRequest(TenantId, event.pathParameters?.tenant ?? '')));
        case SET_TENANT_LIMITS:
          return jsonResponse(
            200,
            await deps.tenants.put(
              parseRequest(TenantId, event.pathParameters?.tenant ?? ''),
              parseRequest(TenantLimitSettings, body ?? {}),
            ),
          );
        case 'GET /v1/admin/usage':
          return jsonResponse(200, await readUsageReport(deps.usage, parseRequest(UsageQuery, query)));
        default:
          throw new NotFoundError(`This function does not serve ${event.routeKey}.`, { code: 'unknown_url' });
      }
    },
    { jsonBodyMaxBytes: deps.maxBodyBytes, jsonBodyWhen: (event) => WITH_BODY.has(event.routeKey) },
  );

const config = loadConfig();
export const handler = createHandler({
  keys: new ApiKeyAdmin(createApiKeyDirectory(config)),
  tenants: createTenantLimitsAdmin(config),
  usage: createUsageStore(config),
  maxBodyBytes: config.maxBodyBytes,
});
