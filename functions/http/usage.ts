import { loadConfig } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import { callerOf } from '../../shared/limits/admitRealtime';
import type { TenantAdmission } from '../../shared/limits/TenantAdmission';
import { createTenantAdmission } from '../../shared/wiring/limits';

/**
 * `GET /v1/usage`: the caller's own limits (its key's and its tenant's), where its rate
 * counters stand, its monthly budget and its usage this month. Any key; a tenant sees only
 * itself (the admin route `GET /v1/admin/usage` reads every tenant's usage).
 */
export const createHandler = (deps: { admission: Pick<TenantAdmission, 'view'> }) =>
  httpRoute(async ({ tenant }) => jsonResponse(200, await deps.admission.view(callerOf(tenant))));

export const handler = createHandler({ admission: createTenantAdmission(loadConfig()) });
