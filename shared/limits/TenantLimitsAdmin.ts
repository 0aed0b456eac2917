import type { TenantLimitSettings, TenantSettingsStore } from './types';

/** A tenant's limits as the admin routes show them. */
export interface TenantLimitsObject extends TenantLimitSettings {
  object: 'tenant.limits';
  tenant: string;
}

/** `GET` and `PUT /v1/admin/tenants/{tenant}/limits` (admin keys only; the route checks the role). */
export class TenantLimitsAdmin {
  constructor(private readonly settings: Pick<TenantSettingsStore, 'get' | 'put'>) {}

  /** The tenant's own limits and budget (`{}` fields: the defaults, no budget). */
  async get(tenantId: string): Promise<TenantLimitsObject> {
    return { object: 'tenant.limits', tenant: tenantId, ...(await this.settings.get(tenantId)) };
  }

  /** Replaces the tenant's limits and budget. Containers see the change within `TENANT_SETTINGS_TTL_MS`. */
  async put(tenantId: string, settings: TenantLimitSettings): Promise<TenantLimitsObject> {
    await this.settings.put(tenantId, settings);
    return { object: 'tenant.limits', tenant: tenantId, ...settings };
  }
}
